"""Reference data for the demo clinic: disciplines, services (real codes from STANDARDS.md §3),
payers, locations and rooms. Synthetic practice; payer IDs are illustrative."""

from __future__ import annotations

from decimal import Decimal

# code, name, is_clinical, can_supervise, requires_supervisor, colour, taxonomy, credentials
DISCIPLINES = [
    ("md", "Physician", True, True, False, "#1f77b4", "207Q00000X", "MD"),
    ("np", "Nurse practitioner", True, True, False, "#17becf", "363LF0000X", "NP"),
    ("lac", "Licensed acupuncturist", True, False, True, "#2ca02c", "171100000X", "LAc"),
    ("dc", "Chiropractor", True, False, False, "#ff7f0e", "111N00000X", "DC"),
    ("lmt", "Massage therapist", True, False, False, "#9467bd", "225700000X", "LMT"),
    ("rd", "Dietitian", True, False, False, "#8c564b", "133V00000X", "RD"),
    ("coach", "Health coach", True, False, False, "#e377c2", "174H00000X", "NBC-HWC"),
    ("psy", "Psychotherapist", True, False, False, "#7f7f7f", "1041C0700X", "LCSW"),
]

D = Decimal
# name, minutes, disciplines, room type, code, modifiers, unit minutes, max units, fee, coverage, hsa
SERVICES = [
    ("New patient visit, straightforward (99202)", 20, ["md", "np"], "consult", "99202", [], None, 1, D("120.00"), "insurance", "eligible"),
    ("New patient visit, low complexity (99203)", 30, ["md", "np"], "consult", "99203", [], None, 1, D("170.00"), "insurance", "eligible"),
    ("New patient visit, moderate complexity (99204)", 45, ["md", "np"], "consult", "99204", [], None, 1, D("250.00"), "insurance", "eligible"),
    ("New patient visit, high complexity (99205)", 60, ["md"], "consult", "99205", [], None, 1, D("330.00"), "insurance", "eligible"),
    ("Established visit, straightforward (99212)", 15, ["md", "np"], "consult", "99212", [], None, 1, D("90.00"), "insurance", "eligible"),
    ("Established visit, low complexity (99213)", 20, ["md", "np"], "consult", "99213", [], None, 1, D("130.00"), "insurance", "eligible"),
    ("Established visit, moderate complexity (99214)", 30, ["md", "np"], "consult", "99214", [], None, 1, D("190.00"), "insurance", "eligible"),
    ("Established visit, high complexity (99215)", 40, ["md"], "consult", "99215", [], None, 1, D("260.00"), "insurance", "eligible"),
    ("Acupuncture, initial 15 min (97810)", 30, ["lac", "md"], "treatment_table", "97810", [], 15, 1, D("75.00"), "either", "eligible"),
    ("Acupuncture, each additional 15 min (97811)", 15, ["lac", "md"], "treatment_table", "97811", [], 15, 3, D("50.00"), "either", "eligible"),
    ("Acupuncture with e-stim, initial 15 min (97813)", 30, ["lac", "md"], "treatment_table", "97813", [], 15, 1, D("85.00"), "either", "eligible"),
    ("Acupuncture with e-stim, each additional 15 min (97814)", 15, ["lac", "md"], "treatment_table", "97814", [], 15, 3, D("55.00"), "either", "eligible"),
    ("Dry needling, 1-2 muscles (20560)", 20, ["lac", "md", "dc"], "treatment_table", "20560", [], None, 1, D("70.00"), "either", "eligible"),
    ("Chiropractic manipulation, 1-2 regions (98940)", 15, ["dc"], "treatment_table", "98940", ["AT"], None, 1, D("65.00"), "insurance", "eligible"),
    ("Chiropractic manipulation, 3-4 regions (98941)", 20, ["dc"], "treatment_table", "98941", ["AT"], None, 1, D("80.00"), "insurance", "eligible"),
    ("Chiropractic manipulation, 5 regions (98942)", 25, ["dc"], "treatment_table", "98942", ["AT"], None, 1, D("95.00"), "insurance", "eligible"),
    ("Manual therapy, each 15 min (97140)", 15, ["dc", "lmt"], "treatment_table", "97140", [], 15, 4, D("55.00"), "either", "eligible"),
    ("Therapeutic massage 30 min (97124)", 30, ["lmt"], "massage", "97124", [], 15, 2, D("70.00"), "direct_pay", "needs_lmn"),
    ("Therapeutic massage 60 min (97124)", 60, ["lmt"], "massage", "97124", [], 15, 4, D("120.00"), "direct_pay", "needs_lmn"),
    ("Therapeutic massage 90 min (97124)", 90, ["lmt"], "massage", "97124", [], 15, 6, D("170.00"), "direct_pay", "needs_lmn"),
    ("Medical nutrition therapy, initial (97802)", 60, ["rd"], "consult", "97802", [], 15, 4, D("160.00"), "insurance", "eligible"),
    ("Medical nutrition therapy, reassessment (97803)", 30, ["rd"], "consult", "97803", [], 15, 2, D("80.00"), "insurance", "eligible"),
    ("Medical nutrition therapy, group (97804)", 60, ["rd"], "group", "97804", [], 30, 2, D("40.00"), "insurance", "eligible"),
    ("MNT reassessment after second referral (G0270)", 30, ["rd"], "consult", "G0270", [], 15, 2, D("80.00"), "insurance", "eligible"),
    ("Health coaching, initial assessment (0591T)", 60, ["coach"], "consult", "0591T", [], None, 1, D("150.00"), "direct_pay", "needs_lmn"),
    ("Health coaching, follow-up 30 min (0592T)", 30, ["coach"], "consult", "0592T", [], None, 1, D("75.00"), "direct_pay", "needs_lmn"),
    ("Health coaching, group (0593T)", 60, ["coach"], "group", "0593T", [], None, 1, D("35.00"), "direct_pay", "needs_lmn"),
    ("Psychiatric diagnostic evaluation (90791)", 60, ["psy"], "consult", "90791", [], None, 1, D("200.00"), "insurance", "eligible"),
    ("Psychotherapy 30 min (90832)", 30, ["psy"], "consult", "90832", [], None, 1, D("95.00"), "insurance", "eligible"),
    ("Psychotherapy 45 min (90834)", 45, ["psy"], "consult", "90834", [], None, 1, D("140.00"), "insurance", "eligible"),
    ("Psychotherapy 60 min (90837)", 60, ["psy"], "consult", "90837", [], None, 1, D("185.00"), "insurance", "eligible"),
    ("IV infusion, initial hour (96365)", 60, ["md", "np"], "infusion", "96365", [], None, 1, D("180.00"), "direct_pay", "needs_lmn"),
    ("Functional testing blood draw (36415)", 15, ["md", "np"], "consult", "36415", [], None, 1, D("25.00"), "direct_pay", "eligible"),
    ("Preventive counselling, 15 min (99401)", 15, ["md", "np"], "consult", "99401", [], None, 1, D("60.00"), "either", "eligible"),
]

# name, payer ID, type, phone
PAYERS = [
    ("Medicare Part B (Noridian JF)", "02402", "medicare", "8772969867"),
    ("Cascade Medicare Advantage PPO", "MA771", "medicare_advantage", "5035550171"),
    ("Oregon Health Plan (Medicaid)", "OROHP", "medicaid", "8002731530"),
    ("Evergreen Health PPO", "EVG01", "commercial", "5035550110"),
    ("Summit Mutual HMO", "SUMM2", "commercial", "3035550120"),
    ("Pacific Blue Cross", "PBC03", "commercial", "5035550130"),
    ("Rocky Mountain Health Plan", "RMHP4", "commercial", "3035550140"),
    ("Northwest Workers' Compensation", "NWWC5", "workers_comp", "5035550150"),
    ("Columbia Auto Insurance PIP", "CAI06", "auto", "5035550160"),
]

LOCATIONS = [
    ("Portland Downtown", "100 SW Main St", "Portland", "OR", "97204", "5035550100", "America/Los_Angeles", "11"),
    ("Boulder", "1800 Pearl St", "Boulder", "CO", "80302", "3035550100", "America/Denver", "11"),
]

# location index, name, type, capacity
ROOMS = [
    (0, "Consult 1", "consult", 1), (0, "Consult 2", "consult", 1), (0, "Consult 3", "consult", 1),
    (0, "Treatment 1", "treatment_table", 1), (0, "Treatment 2", "treatment_table", 1),
    (0, "Treatment 3", "treatment_table", 1), (0, "Massage A", "massage", 1), (0, "Massage B", "massage", 1),
    (0, "Infusion suite", "infusion", 4), (0, "Group room", "group", 12),
    (1, "Consult A", "consult", 1), (1, "Consult B", "consult", 1), (1, "Treatment A", "treatment_table", 1),
    (1, "Treatment B", "treatment_table", 1), (1, "Massage 1", "massage", 1),
]

# first, last, discipline, location indexes, login username (or "")
PRACTITIONERS = [
    ("Grace", "Chen", "md", [0], "drchen"),
    ("Marcus", "Webb", "md", [0, 1], ""),
    ("Priya", "Natarajan", "md", [1], ""),
    ("Elena", "Ruiz", "np", [0], ""),
    ("Wei", "Li", "lac", [0], "liwei"),
    ("Hana", "Kobayashi", "lac", [0, 1], ""),
    ("Tomas", "Berg", "lac", [1], ""),
    ("Daniel", "Okafor", "dc", [0], ""),
    ("Rachel", "Stein", "dc", [1], ""),
    ("Sam", "Ortiz", "lmt", [0], "sortiz"),
    ("Aiyana", "Brooks", "lmt", [0], ""),
    ("Jonah", "Price", "lmt", [1], ""),
    ("Maya", "Feld", "rd", [0, 1], ""),
    ("Chris", "Dunn", "coach", [0, 1], ""),
    ("Lena", "Haddad", "psy", [0], ""),
]

STAFF = [
    ("admin", "admin", "Alex", "Admin"),
    ("frontdesk", "front_desk", "Fran", "Desk"),
    ("billing", "billing", "Bill", "Ing"),
    ("assistant", "virtual_assistant", "Val", "Assistant"),
]
DEMO_PASSWORD = "plexus-demo-2026"
