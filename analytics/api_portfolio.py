"""Portfolio roll-ups over HTTP."""

urlpatterns = []
