async def test_demo_like_site_serves_its_home_page(world, client):
    store = await world.site("alpha", title="Alpha Blog")
    author = await world.member(store, "owner")
    await world.post(store, author, "First light")
    response = await client.get("alpha")
    assert response.code == 200
    assert b"Alpha Blog" in response.body and b"First light" in response.body
