"""The single error type of the X12 codec."""

from __future__ import annotations


class X12Error(ValueError):
    """Malformed or unsupported X12, located by segment and element.

    ``segment_index`` is the 1-based position of the segment in the file (0 when the
    problem is before the first segment or after the last), ``segment_id`` its id ("" when
    unknown) and ``element_position`` the 1-based element (None for a segment-level error).
    """

    def __init__(
        self,
        message: str,
        *,
        segment_index: int = 0,
        segment_id: str = "",
        element_position: int | None = None,
    ) -> None:
        self.message = message
        self.segment_index = segment_index
        self.segment_id = segment_id
        self.element_position = element_position
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f"segment {self.segment_index}"
        if self.segment_id:
            where += f" ({self.segment_id})"
        if self.element_position is not None:
            where += f" element {self.element_position}"
        return f"{where}: {self.message}"

    def __reduce__(self):  # keep keyword-only state when pickled (e.g. across Huey workers)
        return (
            _rebuild,
            (self.message, self.segment_index, self.segment_id, self.element_position),
        )


def _rebuild(message: str, index: int, seg_id: str, position: int | None) -> X12Error:
    return X12Error(message, segment_index=index, segment_id=seg_id, element_position=position)
