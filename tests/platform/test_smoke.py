def test_unknown_api_path_is_a_404_in_the_envelope(client):
    response = client.get("/api/does-not-exist")

    assert response.status_code == 404
    assert response.json()["success"] is False
    assert "not found" in response.json()["error"]
