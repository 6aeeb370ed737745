

def test_screenshots_of_the_main_pages_with_demo_data(page: Any, pufa_state: Pufa) -> None:
    from service.seed import load_demo_file, seed

    with pufa_state.db.transaction() as session:
        seed(session, load_demo_file())
    _sign_in(page, pufa_state, "/admin/")
    page.wait_for_url("**/admin/")
    for path, name in [
        ("/admin/", "20-dashboard-demo"),
        ("/admin/schedules/", "21-schedules"),
        ("/admin/people/", "22-people"),
        ("/admin/study/", "23-study-plans"),
        ("/admin/holidays/", "24-holidays"),
        ("/admin/sms/preview?days=7", "25-sms-preview"),
        ("/admin/sms/deliveries", "26-deliveries"),
        ("/admin/ledger/", "27-ledger"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        shot(page, name)
