"""The permission table's answers for an agency partner's people where they differ from
the table's rule (tests/api/permission_table.py)."""

# A partner's people (``partner``): 403 where the role holds no ability (the programme's
# roll-ups, insights, teams, templates…); where it does, another's experiment (here the
# in-house team's) and what hangs off it are not found, and a write naming one is refused.
PARTNER_CODES = {
    **{
        (method, url): 404
        for method, url in [
            ("GET", "/api/v1/experiments/{draft}/"),
            ("PATCH", "/api/v1/experiments/{draft}/"),
            ("GET", "/api/v1/experiments/{draft}/comments/"),
            ("POST", "/api/v1/experiments/{draft}/comments/"),
            ("GET", "/api/v1/experiments/{draft}/timeline/"),
            ("GET", "/api/v1/experiments/{killed}/postmortem/"),
            ("GET", "/api/v1/experiments/{running}/observations/"),
            ("GET", "/api/v1/experiments/{running}/observations/?format=csv"),
            ("POST", "/api/v1/experiments/{running}/observations/"),
            ("GET", "/api/v1/experiments/{running}/results/"),
            ("GET", "/api/v1/experiments/{running}/results/?history=1"),
            ("GET", "/api/v1/experiments/{running}/results/?dimension=device"),
            ("GET", "/api/v1/experiments/{running}/results/?from=2026-11-01&to=2026-11-30"),
            ("GET", "/api/v1/experiments/{running}/results/?dimension=devise"),
            ("POST", "/api/v1/experiments/{running}/analyse/"),
            ("POST", "/api/v1/experiments/{draft}/analyse/"),
            ("GET", "/api/v1/experiments/{running}/shares/"),
            ("POST", "/api/v1/experiments/{running}/shares/"),
            ("GET", "/api/v1/shares/{share}/"),
            ("DELETE", "/api/v1/shares/{share}/"),
            ("POST", "/api/v1/experiments/{running}/srm/acknowledge/"),
            ("POST", "/api/v1/experiments/{draft}/srm/acknowledge/"),
            ("GET", "/api/v1/hypotheses/{idea}/"),
            ("GET", "/api/v1/hypotheses/{idea}/comments/"),
            ("POST", "/api/v1/hypotheses/{idea}/comments/"),
            ("GET", "/api/v1/objectives/{objective}/"),
            ("GET", "/api/v1/segments/{segment}/"),
            ("GET", "/api/v1/partners/{partner_record}/"),
            *(
                ("POST", f"/api/v1/experiments/{{{status}}}/steps/{step}/")
                for status, step in [
                    ("draft", "submit"),
                    ("draft", "start"),
                    ("in_review", "approve"),
                    ("in_review", "request_changes"),
                    ("approved", "start"),
                    ("paused", "resume"),
                    ("running", "pause"),
                    ("running", "complete"),
                    ("running", "kill"),
                    ("completed", "conclude"),
                ]
            ),  # fmt: skip
        ]
    },
    ("POST", "/api/v1/experiments/"): 400,  # from an idea it neither logged nor tests
    ("POST", "/api/v1/auth/token/"): 400,  # wrong credentials, as for everyone
    ("DELETE", "/api/v1/tokens/{service_token}/"): 404,  # another's token
    ("GET", "/api/v1/experiments/{draft}/postmortem/"): 404,
    ("POST", "/api/v1/experiments/{draft}/steps/launch/"): 404,  # no such step
    # What it may read: its own (here none) in every list, the metrics, the API's description.
    **{
        (method, url): 200
        for method, url in [
            ("GET", "/api/v1/"),
            ("GET", "/api/schema/"),
            ("GET", "/api/v1/auth/me/"),
            ("GET", "/api/v1/experiments/"),
            ("GET", "/api/v1/hypotheses/"),
            ("GET", "/api/v1/objectives/"),
            ("GET", "/api/v1/segments/"),
            ("GET", "/api/v1/metrics/"),
            ("GET", "/api/v1/metrics/{metric}/"),
            ("GET", "/api/v1/events/"),
            ("GET", "/api/v1/events/?format=csv"),
            ("GET", "/api/v1/events/?experiment={running}&kind=exposure"),
            ("GET", "/api/v1/notifications/"),
            ("POST", "/api/v1/notifications/read/"),
            ("GET", "/api/v1/notices/"),
            ("POST", "/api/v1/notices/read/"),
            ("GET", "/api/v1/tokens/"),
            ("POST", "/api/v1/analyse/"),
        ]
    },
    ("POST", "/api/v1/hypotheses/"): 201,
    ("POST", "/api/v1/tokens/"): 201,
}
# A method the route does not take, on a route it may use.
PARTNER_CODES.update(
    {
        key: 405
        for key in [
            ("PUT", "/api/v1/experiments/{draft}/"),
            ("DELETE", "/api/v1/experiments/{draft}/"),
            ("DELETE", "/api/v1/objectives/{objective}/"),
            ("GET", "/api/v1/experiments/{running}/analyse/"),
            ("GET", "/api/v1/experiments/{running}/srm/acknowledge/"),
            ("PATCH", "/api/v1/hypotheses/{idea}/"),
            ("PATCH", "/api/v1/segments/{segment}/"),
            ("PATCH", "/api/v1/tokens/{service_token}/"),
            ("PUT", "/api/v1/experiments/{killed}/postmortem/"),
            ("PATCH", "/api/v1/shares/{share}/"),
            ("PUT", "/api/v1/metrics/{metric}/"),
        ]
    }
)
