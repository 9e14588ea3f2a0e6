"""SeenKeys: the first line of every key of a file, kept compactly, to report duplicates."""

from inventory_project.csvio.engine import SeenKeys


def _seen(merge_at: int) -> SeenKeys:
    seen = SeenKeys()
    seen.MERGE_AT = merge_at
    return seen


def test_new_keys_have_no_earlier_line():
    seen = _seen(1000)

    assert seen.first_lines([("A", 1), ("B", 1)], [2, 3]) == [None, None]


def test_a_key_repeated_in_a_later_batch_names_the_line_of_the_first():
    seen = _seen(1000)
    seen.first_lines([("A", 1), ("B", 1)], [2, 3])

    assert seen.first_lines([("C", 1), ("B", 1)], [4, 5]) == [None, 3]


def test_a_key_repeated_within_one_batch_names_the_line_of_the_first():
    seen = _seen(1000)

    assert seen.first_lines(["X", "Y", "X", "X"], [2, 3, 4, 5]) == [None, None, 2, 2]


def test_keys_moved_into_the_sorted_arrays_are_still_found_with_their_lines():
    seen = _seen(4)
    seen.first_lines([f"K{n}" for n in range(10)], list(range(2, 12)))  # merges: dict emptied
    assert seen._recent == {}

    earlier = seen.first_lines(["K0", "NEW", "K9", "K5"], [20, 21, 22, 23])

    assert earlier == [2, None, 11, 7]


def test_keys_in_both_the_arrays_and_the_recent_part_are_found():
    seen = _seen(4)
    seen.first_lines(["A", "B", "C", "D"], [2, 3, 4, 5])  # merged
    seen.first_lines(["E"], [6])  # recent

    assert seen.first_lines(["E", "A", "F"], [7, 8, 9]) == [6, 2, None]
