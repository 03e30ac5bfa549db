"""Stream pages (docs/streams.md): the list of streams, and one stream's tests in order with
its champion, cumulative shrunk impact and next test. Everyone who reads results reads them."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from roles.permissions import require_ability

from .streams import stream_detail as stream_of_root
from .streams import stream_root_ids, streams_for

PAGE_SIZE = 25


@login_required
def stream_list(request):
    require_ability(request, "results.read")
    page = Paginator(stream_root_ids(), PAGE_SIZE).get_page(request.GET.get("page"))
    streams = streams_for(list(page.object_list), user=request.user)
    return render(request, "programme/stream_list.html", {"page_obj": page, "streams": streams})


@login_required
def stream_detail(request, pk: int):
    require_ability(request, "results.read")
    stream = stream_of_root(pk, user=request.user)
    if stream is None:
        raise Http404("No stream starts with this hypothesis.")
    return render(request, "programme/stream_detail.html", {"stream": stream})
