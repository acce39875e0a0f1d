from django.test import Client


def test_public_home_needs_no_login_and_offers_elder_mode(db):
    client = Client()
    page = client.get("/")
    assert page.status_code == 200 and "欢迎访问街道政务服务平台" in page.content.decode()
    assert 'class="public"' in page.content.decode()
    response = client.post("/elder-mode/", {"on": "1", "next": "/"})
    assert response.status_code == 302
    assert 'class="public elder"' in client.get("/").content.decode()
    client.post("/elder-mode/", {"on": "0", "next": "https://evil.example/"})
    assert 'class="public"' in client.get("/").content.decode()


def test_elder_mode_redirect_stays_on_site(db):
    response = Client().post("/elder-mode/", {"on": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"
