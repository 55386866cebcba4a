from tests.helpers import ApiClient, at


def test_sharer_posts_parker_finds_reserves_and_cancels(api: ApiClient) -> None:
    admin = api.sign_up(group="admin")
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    space = api.approved_space(sharer, admin, lat=52.3600, lng=4.8852)
    found = api.get(f"/search?lat=52.3601&lng=4.8853&radius_m=500&start={at(24)}&end={at(26)}", parker)
    assert found.status == 200, found.body
    hit = next(h for h in found.body["results"] if h["space_id"] == space["space_id"])
    assert hit["total_price_minor"] == 400 and hit["navigation"]["geo"].startswith("geo:52.36")
    assert hit["timezone"] == "Europe/Amsterdam"  # the app shows the window in the space's zone
    r = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "ab-123 c", "start": at(24), "end": at(26)})
    assert r.status == 201, r.body
    assert r.body["plate"] == "AB123C" and r.body["price_minor"] == 400 and r.body["state"] == "reserved"
    again = api.get(f"/search?lat=52.3601&lng=4.8853&radius_m=500&start={at(25)}&end={at(27)}", parker)
    assert space["space_id"] not in [h["space_id"] for h in again.body["results"]]
    cancelled = api.post(f"/reservations/{r.body['reservation_id']}/cancel", parker)
    assert cancelled.status == 200 and cancelled.body["state"] == "cancelled" and cancelled.body["fee_minor"] == 0
    back = api.get(f"/search?lat=52.3601&lng=4.8853&radius_m=500&start={at(25)}&end={at(27)}", parker)
    assert space["space_id"] in [h["space_id"] for h in back.body["results"]]
