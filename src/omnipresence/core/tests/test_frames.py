"""Websocket frames read the same way everywhere (core.frames): an object with a type, or the error
frame to answer with — including JSON nested deep enough to exhaust the parser's stack."""

from omnipresence.core.frames import frame_read, query_param


def test_a_frame_is_an_object_with_a_type_of_bounded_size():
    assert frame_read('{"type": "ping", "n": 1}', limit=100) == ({"type": "ping", "n": 1}, None)
    for bad in (None, b'{"type": "x"}', "not json", "[1, 2]", '{"type": 3}', '{"no": "type"}', "x" * 101):
        content, refused = frame_read(bad, limit=100)
        assert content is None and refused[0] == "invalid_frame", bad
    assert "100" in frame_read("x" * 101, limit=100)[1][1]


def test_json_nested_beyond_the_parsers_stack_is_an_error_frame_not_a_crash():
    deep = "[" * 100_000 + "]" * 100_000
    assert frame_read(deep, limit=len(deep)) == (None, ("invalid_frame", "Send a JSON object with a type."))


def test_a_query_parameter_is_read_decoded_and_bounded():
    scope = {"query_string": b"x=1&t=abc%2Ddef_ghi&t=second&token=" + b"z" * 500}
    assert query_param(scope, "t", limit=100) == "abc-def_ghi"  # the first one, decoded
    assert query_param(scope, "token", limit=300) == "z" * 300
    assert query_param(scope, "missing", limit=10) == "" and query_param({}, "t", limit=10) == ""
