"""X12 005010 codec: lexer -> segments -> envelopes -> typed transactions (pure standard library).

Builders: :func:`build_837p` (005010X222A1, with COB loops for secondary claims),
:func:`build_270` (005010X279A1).
Parsers: :func:`parse_271`, :func:`parse_835` (005010X221A1), :func:`parse_999`, :func:`parse_277ca`.
Every problem with input X12 raises :class:`X12Error` naming segment number, id and element.
"""

from .envelope import (
    EnvelopeSpec,
    FunctionalGroup,
    Interchange,
    Transaction,
    parse_interchange,
    parse_interchanges,
    transactions_of,
    write_interchange,
)
from .errors import X12Error
from .lexer import DEFAULT_DELIMITERS, Delimiters, Segment, read_delimiters, tokenize
from .serializer import serialize
from .tx270 import EligibilityRequest, InformationReceiver, InformationSource, Member, build_270
from .tx271 import (
    Benefit,
    DateInfo,
    Delivery,
    EligibilityResponse,
    Entity,
    MemberInfo,
    Rejection,
    parse_271,
)
from .tx277ca import ClaimAck, LineAck, Status, parse_277ca
from .tx835 import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    parse_835,
)
from .tx837p import (
    Address,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimGroup,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
    build_837p,
)
from .tx999 import ElementError, FunctionalAck, SegmentError, TransactionAck, parse_999
from .values import npi_is_valid

__all__ = [
    "DEFAULT_DELIMITERS",
    "Address",
    "Adjustment",
    "Benefit",
    "BillingProvider",
    "Claim",
    "ClaimAck",
    "ClaimBatch",
    "ClaimGroup",
    "ClaimPayment",
    "DateInfo",
    "Delimiters",
    "Delivery",
    "ElementError",
    "EligibilityRequest",
    "EligibilityResponse",
    "Entity",
    "EnvelopeSpec",
    "FunctionalAck",
    "FunctionalGroup",
    "InformationReceiver",
    "InformationSource",
    "Interchange",
    "LineAck",
    "LineAdjudication",
    "Member",
    "MemberInfo",
    "OtherPayer",
    "Party",
    "Patient",
    "Payer",
    "Provider",
    "ProviderAdjustment",
    "Receiver",
    "Rejection",
    "Remittance",
    "Segment",
    "SegmentError",
    "ServiceLine",
    "ServicePayment",
    "Status",
    "Submitter",
    "Subscriber",
    "Transaction",
    "TransactionAck",
    "X12Error",
    "build_270",
    "build_837p",
    "npi_is_valid",
    "parse_271",
    "parse_277ca",
    "parse_835",
    "parse_999",
    "parse_interchange",
    "parse_interchanges",
    "read_delimiters",
    "serialize",
    "tokenize",
    "transactions_of",
    "write_interchange",
]
