"""Two CMOs act on one experiment at the same moment: the row lock lets exactly one win."""

import threading

import pytest
from django.db import connection

from experiments import lifecycle
from experiments.models import Experiment, StatusChange
from growthops.errors import DomainError
from roles.models import Role
from tests.experiments.helpers import put_in_status
from tests.factories import ExperimentFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", range(5))
def test_approve_and_kill_race_has_one_winner(rounds):
    owner = UserFactory(role=Role.OPERATOR)
    cmo_a = UserFactory(role=Role.CMO)
    cmo_b = UserFactory(role=Role.CMO)
    experiment = put_in_status(ExperimentFactory(owner=owner), "in_review")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name, call):
        try:
            barrier.wait()
            call()
            outcomes[name] = "won"
        except DomainError as exc:
            outcomes[name] = exc.message
        finally:
            connection.close()  # this thread's own connection: leave none open at teardown

    threads = [
        threading.Thread(
            target=act,
            args=(
                "approve",
                lambda: lifecycle.experiment_approve(
                    experiment_id=experiment.pk, actor=cmo_a, expected_status="in_review"
                ),
            ),
        ),
        threading.Thread(
            target=act,
            args=(
                "kill",
                lambda: lifecycle.experiment_kill(
                    experiment_id=experiment.pk,
                    actor=cmo_b,
                    reason="duplicate",
                    note="Same as #12.",
                    expected_status="in_review",
                ),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [name for name, result in outcomes.items() if result == "won"]
    assert len(winners) == 1, outcomes
    loser = "kill" if winners == ["approve"] else "approve"
    assert "reload and decide again" in outcomes[loser]
    final = Experiment.objects.get(pk=experiment.pk).status
    assert final == ("approved" if winners == ["approve"] else "killed")
    assert StatusChange.objects.filter(experiment_id=experiment.pk).count() == 1
