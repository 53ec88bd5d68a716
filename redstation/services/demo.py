"""Realistic sample data: ``redstation demo --households N --seed S``.

Fills an empty register with households, residents, key households and their visits,
tickets with their whole history, callbacks and surveys, volunteers, teams, activities
and round-table meetings, as a station of that size would have after three months.

Everything comes from one ``random.Random(seed)`` and is placed relative to ``now``, so
the same seed and ``now`` give the same rows (apart from the version and created_at
stamps, and the ids of the station and the user accounts, which the station and user
services make themselves). All rows go in through ``insert_many`` in one transaction
with one audit entry; a cancelled or refused run leaves the database as it was.
"""

from __future__ import annotations

import gc
import json
import random
import uuid
from bisect import bisect_right
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Callable

from redstation import RedStationError
from redstation.domain import demodata as dd
from redstation.domain import idnumber, response5341
from redstation.domain.vocab import DEFAULT_VISIT_INTERVAL_HOURS, KIND_SKILLS, SKILLS
from redstation.i18n import _
from redstation.services import users as user_service
from redstation.services.session import Session, Write
from redstation.services.station import _create_station
from redstation.store import db

DEMO_PASSWORD = "demo1234"
STATION_NAME = "阳光社区红色物业服务站"
COMMUNITY = "阳光社区"
STREET = "幸福街道"
STATION_PHONE = "0531-86061234"
STATION_ADDRESS = "阳光花园 1 号楼东侧"

# (username, display name, role); the admin only when the database has none.
DEMO_ADMIN = ("admin", "王站长", "admin")
DEMO_USERS = [
    ("desk1", "李晓梅", "desk"), ("desk2", "张丽娟", "desk"),
    ("guard1", "赵卫东", "guard"), ("guard2", "孙志强", "guard"), ("guard3", "马长顺", "guard"),
    ("viewer1", "周敏", "viewer"),
]

DAYS = 90                      # how far back the history goes
PROGRESS_EVERY = 500           # households between progress reports
TICKETS_PER_HOUSEHOLD = 0.5
STATUSES = ("accepted", "assigned", "on_site", "resolved", "called_back")
# Insert order: parents first where there is one (foreign keys are deferred, so the one cycle,
# an escalated visit and its ticket, is checked at commit).
TABLES = ("households", "residents", "volunteers", "volunteer_skills", "teams", "team_members", "surveys",
          "meetings", "meeting_topics", "meeting_attendees", "activities", "attendance", "tickets", "visits",
          "ticket_events", "satisfaction", "meeting_actions")


# Version 4, RFC 4122 variant: the bits uuid.UUID(int=n, version=4) sets and clears.
_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_UUID_SET = (0x8000 << 48) | (4 << 76)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class _Generator:
    def __init__(self, rng: random.Random, now: datetime, code: str, staff: dict[str, list[dict]],
                 tick: Callable[[int], None]):
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.start = now - timedelta(days=DAYS)
        self.code = code
        self.staff = staff
        self.tick = tick
        self.rows: dict[str, list[dict]] = {table: [] for table in TABLES}
        self._surnames = [s for s, _w in dd.SURNAMES]
        self._surname_cum = list(accumulate(w for _s, w in dd.SURNAMES))
        self._regions = [r for r, _w in dd.REGIONS]
        self._region_cum = list(accumulate(w for _r, w in dd.REGIONS))
        self._used_ids: set[str] = set()
        self._used_phones: set[str] = set()
        self.tickets: list[dict] = []      # ticket specs, made into rows at the end

    # ---- small helpers -------------------------------------------------------------------
    def uid(self) -> str:
        """A random (version 4) UUID from the seeded generator: same as str(uuid.UUID(int=…, version=4))."""
        h = "{n:032x}".format(n=self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET)
        return "{a}-{b}-{c}-{d}-{e}".format(a=h[:8], b=h[8:12], c=h[12:16], d=h[16:20], e=h[20:])

    def surname(self) -> str:
        rng = self.rng
        return self._surnames[bisect_right(self._surname_cum, rng.random() * self._surname_cum[-1])]

    def given(self, birth_year: int, sex: str) -> str:
        return self.rng.choice(dd.GIVEN_NAMES[(dd.generation(birth_year), sex)])

    def name(self, sex: str, birth_year: int, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(birth_year, sex)

    def phone(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(dd.MOBILE_PREFIXES) + "{n:08d}".format(n=rng.randrange(100_000_000))
            if number not in self._used_phones:
                self._used_phones.add(number)
                return number

    def id_number(self, birth: date, sex: str, local: bool) -> str:
        rng = self.rng
        if local or rng.random() < 0.55:
            region = rng.choice(dd.LOCAL_REGIONS)
        else:
            region = self._regions[bisect_right(self._region_cum, rng.random() * self._region_cum[-1])]
        seq = rng.randrange(500)
        while True:
            number = idnumber.make(region, birth, seq, sex)
            if number not in self._used_ids:
                self._used_ids.add(number)
                return number
            seq = (seq + 1) % 500

    def birth(self, age: int) -> date:
        """A birth date making someone ``age`` years old today."""
        today = self.today
        latest = today.replace(year=today.year - age) if not (today.month == 2 and today.day == 29) \
            else date(today.year - age, 2, 28)
        return latest - timedelta(days=self.rng.randrange(365))

    def old_age(self, youngest: int, oldest: int) -> int:
        """An age among the elderly: fewer and fewer towards the oldest."""
        span = oldest - youngest
        return youngest + int(self.rng.triangular(0, span, span * 0.2))

    def daytime(self, moment: datetime, first: int = 8, last: int = 18) -> datetime:
        """The same day at a random working-hours time."""
        return moment.replace(hour=self.rng.randint(first, last - 1), minute=self.rng.randrange(60),
                              second=self.rng.randrange(60))

    def check(self, done: int) -> None:
        self.tick(done)

    # ---- people and households -------------------------------------------------------------
    def person(self, sex: str, age: int, relation: str, surname: str | None = None) -> dict:
        age = max(0, min(age, 102))
        birth = self.birth(age)
        surname = surname or self.surname()
        return {"sex": sex, "birth": birth, "age": _age(birth, self.today), "relation": relation,
                "name": surname + self.given(birth.year, sex), "surname": surname, "categories": []}

    def couple(self, head_age: int, relation_head: str = "head") -> tuple[dict, dict]:
        """A married couple; the man is the head four times in five."""
        rng = self.rng
        man_surname, woman_surname = self.surname(), self.surname()
        man_age = head_age
        woman_age = max(18, man_age - rng.choice((-2, -1, 0, 1, 1, 2, 2, 3, 3, 4, 5)))
        man = self.person("M", man_age, relation_head, man_surname)
        woman = self.person("F", woman_age, "spouse", woman_surname)
        if rng.random() < 0.2:
            man["relation"], woman["relation"] = "spouse", relation_head
            return woman, man
        return man, woman

    def children(self, father: dict, mother: dict, count: int, relation: str = "child",
                 min_age: int = 0, max_age: int = 40) -> list[dict]:
        rng = self.rng
        oldest = min(max_age, mother["age"] - 21)
        kids = []
        for _i in range(count):
            if oldest < min_age:
                break
            age = rng.randint(min_age, oldest)
            surname = father["surname"] if rng.random() < 0.93 else mother["surname"]
            kids.append(self.person(rng.choice("MF"), age, relation, surname))
        return kids

    @staticmethod
    def parents_of(couple: tuple[dict, dict]) -> tuple[dict, dict]:
        a, b = couple
        return (a, b) if a["sex"] == "M" else (b, a)

    def members(self, residence: str) -> tuple[list[dict], str]:
        """The people of one household and the household's make-up."""
        rng = self.rng
        if residence == "vacant":
            return [], "vacant"
        if residence == "rented":
            if rng.random() < 0.5:
                couple = self.couple(rng.randint(24, 40))
                father, mother = self.parents_of(couple)
                return [*couple, *self.children(father, mother, rng.choice((0, 1, 1, 2)), max_age=14)], "rented_family"
            people = []
            for _i in range(rng.choice((1, 1, 2, 2, 3))):
                people.append(self.person(rng.choice("MF"), rng.randint(20, 38), "tenant"))
            return people, "tenants"
        make_up = rng.choices(("alone_old", "couple_old", "single", "couple", "family", "three_gen", "left_behind",
                               "adult_child", "old_with_child"),
                              (6, 7, 7, 9, 31, 13, 3, 15, 8))[0]
        if make_up == "alone_old":
            return [self.person(rng.choice("MFF"), self.old_age(62, 96), "head")], make_up
        if make_up == "couple_old":
            return list(self.couple(self.old_age(60, 92))), make_up
        if make_up == "single":
            return [self.person(rng.choice("MF"), rng.randint(23, 60), "head")], make_up
        if make_up == "couple":
            return list(self.couple(rng.randint(24, 58))), make_up
        if make_up == "family":
            couple = self.couple(rng.randint(28, 52))
            father, mother = self.parents_of(couple)
            return [*couple, *self.children(father, mother, rng.choice((1, 1, 1, 2, 2)), max_age=24)], make_up
        if make_up == "three_gen":
            couple = self.couple(rng.randint(30, 50))
            father, mother = self.parents_of(couple)
            kids = self.children(father, mother, rng.choice((1, 1, 2)), max_age=20)
            head = couple[0]
            elder_age = head["age"] + rng.randint(23, 33)
            grandfather = self.person("M", elder_age + rng.randint(0, 3), "parent", head["surname"])
            grandmother = self.person("F", elder_age, "parent")
            elders = [grandfather, grandmother] if rng.random() < 0.5 else [rng.choice((grandfather, grandmother))]
            return [*couple, *kids, *elders], make_up
        if make_up == "left_behind":
            couple = self.couple(rng.randint(56, 72))
            head = couple[0]
            grandfather, _grandmother = self.parents_of(couple)
            surname = grandfather["surname"] if rng.random() < 0.75 else self.surname()
            kids = [self.person(rng.choice("MF"), rng.randint(4, 14), "grandchild", surname)
                    for _i in range(rng.choice((1, 1, 2)))]
            for kid in kids:
                kid["left_behind"] = True
                kid["parent_surname"] = surname
            head["grandparent_of_left_behind"] = True
            return [*couple, *kids], make_up
        if make_up == "adult_child":
            couple = self.couple(rng.randint(48, 66))
            father, mother = self.parents_of(couple)
            people = [*couple]
            child = self.children(father, mother, 1, min_age=20, max_age=34)
            people += child
            if child and child[0]["age"] >= 24 and rng.random() < 0.35:
                kid = child[0]
                in_law = self.person("F" if kid["sex"] == "M" else "M", kid["age"] + rng.randint(-3, 3), "child_in_law")
                grand_surname = kid["surname"] if kid["sex"] == "M" else in_law["surname"]
                for _i in range(rng.choice((0, 1, 1))):
                    people.append(self.person(rng.choice("MF"), rng.randint(0, 6), "grandchild", grand_surname))
                people.insert(3, in_law)
            return people, make_up
        # old_with_child: an unmarried or divorced adult child living with an elderly parent
        elder = self.person(rng.choice("MFF"), self.old_age(66, 96), "head")
        child_age = max(28, elder["age"] - rng.randint(24, 34))
        surname = elder["surname"] if elder["sex"] == "M" else None
        child = self.person(rng.choice("MF"), child_age, "child", surname)
        if rng.random() < 0.5:
            elder["relation"], child["relation"] = "parent", "head"
            return [child, elder], make_up
        return [elder, child], make_up

    def categories(self, people: list[dict], make_up: str) -> None:
        rng = self.rng
        for p in people:
            cats = p["categories"]
            age = p["age"]
            if make_up == "alone_old" and age >= 65:
                cats.append("elderly_alone")
            if make_up == "couple_old" and all(q["age"] >= 65 for q in people):
                cats.append("empty_nest")
            if age >= 80:
                cats.append("aged_80")
            if p.get("left_behind") and age < 16:
                cats.append("left_behind_child")
            if p["sex"] == "M" and age >= 40 and rng.random() < (0.04 if age >= 60 else 0.02):
                cats.append("veteran")
            if age >= 60 and rng.random() < 0.03:
                cats.append("party_member")
            if age >= 5 and rng.random() < 0.012:
                cats.append("disabled")
            if age >= 45 and rng.random() < 0.012:
                cats.append("serious_illness")
        if people and rng.random() < 0.015:
            people[0]["categories"].append("hardship")

    def contacts(self, p: dict) -> list[dict]:
        rng = self.rng
        found = []
        if p.get("left_behind"):
            father_age = p["age"] + rng.randint(24, 34)
            found.append({"name": self.name("M", self.today.year - father_age, p["parent_surname"]), "relation": "父亲",
                          "phone": self.phone()})
            if rng.random() < 0.6:
                found.append({"name": self.name("F", self.today.year - father_age + 2), "relation": "母亲",
                              "phone": self.phone()})
            return found
        for _i in range(rng.choice((1, 1, 2))):
            if p["age"] >= 50:
                relation, sex = rng.choice(dd.CONTACT_RELATIONS_CHILD)
                child_year = p["birth"].year + rng.randint(22, 34)
                surname = p["surname"] if p["sex"] == "M" and relation in ("儿子", "女儿") else None
            else:
                relation, sex = rng.choice(dd.CONTACT_RELATIONS_OTHER)
                child_year = p["birth"].year + rng.randint(-10, 10)
                surname = None
            found.append({"name": self.name(sex, child_year, surname), "relation": relation, "phone": self.phone()})
        return found

    def addresses(self, households: int) -> list[tuple[str, str, str, str, int]]:
        """(estate, building, unit, room, floor) of every household, unique."""
        rng = self.rng
        count = max(3, min(len(dd.ESTATES), round(households / 500) + 2))
        if households < 3:
            count = 1
        estates = dd.ESTATES[:count]
        weights = [rng.uniform(0.6, 1.4) for _e in estates]
        total = sum(weights)
        sizes = [max(1, int(households * w / total)) for w in weights]
        sizes[0] += households - sum(sizes)
        while sizes[0] < 1:  # rounding took too much from the first estate
            biggest = max(range(len(sizes)), key=sizes.__getitem__)
            sizes[biggest] -= 1
            sizes[0] += 1
        found = []
        for (estate, high), size in zip(estates, sizes):
            building = 0
            made = 0
            while made < size:
                building += 1
                if high:
                    floors, doors = rng.choice(((11, 2), (18, 2), (18, 3), (26, 2)))
                else:
                    floors, doors = rng.choice((6, 6, 6, 7, 5)), 2
                units = rng.choice((1, 2, 2, 3, 3, 3))
                for unit in range(1, units + 1):
                    for floor in range(1, floors + 1):
                        for door in range(1, doors + 1):
                            if made < size:
                                found.append((estate, str(building), str(unit), str(floor * 100 + door), floor))
                                made += 1
        return found

    def build_households(self, households: int) -> None:
        rng = self.rng
        rows_h, rows_r = self.rows["households"], self.rows["residents"]
        self.households: list[dict] = []     # working data: id, estate, address, people
        for index, (estate, building, unit, room, floor) in enumerate(self.addresses(households)):
            if index % PROGRESS_EVERY == 0:
                self.check(index)
            residence = rng.choices(("owner", "rented", "vacant", "other"), (80, 12, 6, 2))[0]
            people, make_up = self.members("owner" if residence == "other" else residence)
            self.categories(people, make_up)
            hid = self.uid()
            for p in people:
                p["id"] = self.uid()
                age = p["age"]
                if age >= 16:
                    has_phone = rng.random() < (0.6 if age >= 80 else 0.96)
                else:
                    has_phone = age >= 12 and rng.random() < 0.35
                p["phone"] = self.phone() if has_phone else ""
                p["id_number"] = self.id_number(p["birth"], p["sex"], local=age < 20) if rng.random() < 0.985 else None
            notes = ""
            if residence == "rented":
                notes = "房东：{name}，{phone}".format(name=self.name(rng.choice("MF"), rng.randint(1950, 1985)),
                                                    phone=self.phone())
            elif residence == "vacant":
                notes = rng.choice(("房主常住外地", "待售", "装修中", "房主出国", ""))
            elif residence == "other":
                notes = rng.choice(("单位宿舍", "借住亲戚家", "公租房"))
            household_phone = next((p["phone"] for p in people if p["phone"]), "")
            registered = _iso(self.start - timedelta(days=rng.randint(20, 400), seconds=rng.randrange(86400)))
            rows_h.append({"id": hid, "estate": estate, "building": building, "unit": unit, "room": room,
                           "floor": floor, "residence_type": residence, "phone": household_phone,
                           "visit_interval_hours": None, "notes": notes, "created_at": registered})
            interval = None
            for p in people:
                cats = p["categories"]
                care_notes, contacts = "", []
                if cats:
                    notes_pool = [n for c in cats for n in dd.CARE_NOTES[c]]
                    picked = rng.sample(notes_pool, min(len(notes_pool), rng.choice((1, 1, 2))))
                    care_notes = "；".join(dict.fromkeys(picked))
                    contacts = self.contacts(p)
                    shortest = min(DEFAULT_VISIT_INTERVAL_HOURS[c] for c in cats)
                    interval = shortest if interval is None else min(interval, shortest)
                rows_r.append({"id": p["id"], "household_id": hid, "name": p["name"], "id_number": p["id_number"],
                               "gender": p["sex"], "birth_date": p["birth"].isoformat(), "phone": p["phone"],
                               "relation": p["relation"], "status": "active",
                               "care_categories": json.dumps(cats) if cats else "[]", "care_notes": care_notes,
                               "emergency_contacts": json.dumps(contacts, ensure_ascii=False) if contacts else "[]",
                               "notes": "", "created_at": registered})
            place = "{estate}{b}号楼{u}单元{r}室".format(estate=estate, b=building, u=unit, r=room)
            self.households.append({"id": hid, "estate": estate, "building": building, "unit": unit, "place": place,
                                    "people": people, "interval": interval, "residence": residence})
        self.estates = list(dict.fromkeys(h["estate"] for h in self.households))
        self.poor_estate = self.estates[-1] if len(self.estates) >= 3 else None  # one estate below the 60 % line
        self.occupied = [h for h in self.households if h["people"]]
        self.by_estate = {e: [] for e in self.estates}
        for h in self.occupied:
            self.by_estate[h["estate"]].append(h)

    # ---- volunteers, teams ---------------------------------------------------------------------
    def build_volunteers(self, households: int) -> None:
        rng = self.rng
        count = max(12, round(households / 40))
        adults = [p for h in self.occupied for p in h["people"] if 20 <= p["age"] <= 75 and p["phone"]]
        rng.shuffle(adults)
        linked = adults[:count // 2]
        skills = list(SKILLS)
        forced = ["appliance_repair", "plumbing", "health_care", "legal_aid", "counselling", "plumbing",
                  "appliance_repair", "haircut", "computer", "tutoring"]
        self.volunteers: list[dict] = []
        for index in range(count):
            vid = self.uid()
            if index < len(linked):
                p = linked[index]
                vol = {"id": vid, "resident_id": p["id"], "name": p["name"], "gender": p["sex"], "phone": p["phone"],
                       "id_number": p["id_number"], "age": p["age"]}
            else:
                sex = rng.choice("MF")
                age = rng.randint(22, 70)
                birth = self.birth(age)
                vol = {"id": vid, "resident_id": None, "name": self.name(sex, birth.year), "gender": sex,
                       "phone": self.phone(), "id_number": self.id_number(birth, sex, False) if rng.random() < 0.7 else None,
                       "age": age}
            party = rng.random() < (0.45 if vol["age"] >= 55 else 0.3)
            serving = party and vol["age"] < 60 and rng.random() < 0.6
            vol["party"] = party
            mine = [forced[index]] if index < len(forced) else []
            for skill in rng.sample(skills, rng.choice((1, 1, 2, 2, 3))):
                if skill not in mine and len(mine) < 3:
                    mine.append(skill)
            vol["skills"] = mine
            self.volunteers.append(vol)
            joined = self.today - timedelta(days=rng.randint(30, 6 * 365))
            self.rows["volunteers"].append({
                "id": vid, "resident_id": vol["resident_id"], "name": vol["name"], "gender": vol["gender"],
                "phone": vol["phone"], "id_number": vol["id_number"], "party_member": int(party),
                "serving_party_member": int(serving), "employer": rng.choice(dd.EMPLOYERS) if serving else "",
                "availability": rng.choice(dd.AVAILABILITY), "joined_on": joined.isoformat(),
                "active": 1 if rng.random() < 0.95 else 0, "notes": ""})
            for skill in mine:
                self.rows["volunteer_skills"].append({"id": self.uid(), "volunteer_id": vid, "skill": skill,
                                                      "level": rng.choice((1, 2, 2, 3))})
        self.by_skill = {s: [v for v in self.volunteers if s in v["skills"]] for s in skills}
        team_count = 3 + (households >= 500) + (households >= 2000)
        self.teams: list[dict] = []
        for name, description, team_skills, prefer in dd.TEAMS[:team_count]:
            if prefer == "party":
                pool = [v for v in self.volunteers if v["party"]]
            elif prefer == "senior":
                pool = [v for v in self.volunteers if v["age"] >= 55]
            else:
                pool = []
            pool += [v for s in team_skills for v in self.by_skill[s] if v not in pool]
            size = min(len(self.volunteers), rng.randint(6, 15) + len(self.volunteers) // 40)
            members = pool[:size]
            others = [v for v in self.volunteers if v not in members]
            rng.shuffle(others)
            members += others[:max(0, min(size, 4) - len(members))] if len(members) < 4 else []
            if len(members) < size // 2:
                members += others[:size // 2 - len(members)]
            leader = next((v for v in members if v["party"]), members[0])
            tid = self.uid()
            self.teams.append({"id": tid, "name": name, "leader": leader, "members": members, "skills": team_skills})
            self.rows["teams"].append({"id": tid, "name": name, "leader_id": leader["id"], "description": description})
            for v in members:
                self.rows["team_members"].append({"id": self.uid(), "team_id": tid, "volunteer_id": v["id"],
                                                  "role": "队长" if v is leader else "队员"})

    # ---- tickets -----------------------------------------------------------------------------
    def caller(self, household: dict | None) -> tuple[dict | None, dict | None, str, str, str]:
        """(household, resident, caller_name, caller_phone, place) of a ticket."""
        rng = self.rng
        if household is None:
            estate = rng.choice(self.estates)
            sex = rng.choice("MF")
            title = rng.choice(("先生", "师傅", "大爷")) if sex == "M" else rng.choice(("女士", "阿姨"))
            place = "{estate}{b}号楼".format(estate=estate, b=rng.randint(1, 8))
            return None, None, self.surname() + title, self.phone(), place
        adults = [p for p in household["people"] if p["age"] >= 18] or household["people"]
        p = rng.choice(adults)
        phone = p["phone"] or next((q["phone"] for q in household["people"] if q["phone"]), "")
        return household, p, p["name"], phone, household["place"]

    def ticket_spec(self, accepted_at: datetime, kind: str, source: str, household: dict | None,
                    text: tuple[str, str, str] | None = None, severity: str | None = None, **extra) -> dict:
        rng = self.rng
        household, resident, name, phone, place = self.caller(household)
        summary, detail, resolution = text or rng.choice(dd.TICKET_TEXTS[kind])
        if severity is None:
            severity = rng.choices(("ordinary", "major", "complex"), (85, 12, 3))[0]
        spec = {"id": self.uid(), "accepted_at": accepted_at, "kind": kind, "source": source, "severity": severity,
                "household": household, "resident": resident, "caller_name": name, "caller_phone": phone,
                "summary": summary, "detail": detail.format(place=place), "resolution": resolution,
                "estate": household["estate"] if household else next(e for e in self.estates if place.startswith(e)),
                "visit_id": None, "meeting_id": None, "status": None}
        spec.update(extra)
        self.tickets.append(spec)
        return spec

    def accept_time(self) -> datetime:
        rng = self.rng
        day = self.start + timedelta(seconds=rng.randrange(DAYS * 86400))
        moment = self.daytime(day, 8, 20) if rng.random() < 0.92 else day.replace(microsecond=0)
        return min(moment, self.now - timedelta(minutes=rng.randint(1, 90)))

    def build_tickets(self, households: int) -> None:
        rng = self.rng
        count = max(12, round(households * TICKETS_PER_HOUSEHOLD * 0.85))
        kinds = ("repair", "complaint", "consultation", "dispute", "suggestion")
        sources = ("window", "phone", "wechat", "grid")
        for index in range(count):
            if index < 5:  # every status, kind and source at least once, even for a tiny register
                status, kind, source = STATUSES[index], kinds[index], sources[index % 4]
                hours = rng.randint(50, 120) if status == "called_back" else rng.uniform(1, 8)
                accepted = self.now - timedelta(seconds=int(hours * 3600))
                self.ticket_spec(accepted, kind, source, rng.choice(self.occupied) if self.occupied else None,
                                 severity="ordinary", status=status, waiting=status == "on_site")
                continue
            if index < 5 + max(3, count // 300):  # taken in the last half hour: their clocks are still running
                accepted = self.now - timedelta(minutes=rng.randint(2, 25))
                self.ticket_spec(accepted, rng.choice(kinds[:3]), "window", rng.choice(self.occupied) if self.occupied else None,
                                 severity=rng.choice(("ordinary", "major", "major")), status=rng.choice(STATUSES[:3]))
                continue
            kind = rng.choices(kinds, (40, 20, 25, 7, 8))[0]
            source = rng.choices(sources, (35, 30, 22, 13))[0]
            household = rng.choice(self.occupied) if self.occupied and rng.random() < 0.87 else None
            self.ticket_spec(self.accept_time(), kind, source, household)

    def assignee(self, spec: dict) -> tuple[str, str | None, str]:
        rng = self.rng
        pool = [v for s in KIND_SKILLS[spec["kind"]] for v in self.by_skill[s]]
        if pool and rng.random() < 0.55:
            v = rng.choice(pool)
            return "volunteer", v["id"], v["name"]
        user = rng.choice(self.staff["desk"] + self.staff["admin"])
        return "user", user["id"], user["name"]

    def finish_ticket(self, spec: dict) -> dict:
        """The ticket row with its stage times and history, up to what has happened by now."""
        rng, now = self.rng, self.now
        accepted = spec["accepted_at"]
        severity, kind = spec["severity"], spec["kind"]
        due = response5341.deadlines(severity, accepted)
        desk = rng.choice(self.staff["desk"])
        kind_a, assignee_id, assignee_name = self.assignee(spec)
        # the whole life of the ticket, then cut at now and at the target status
        on_time = rng.random() < 0.8
        assign_at = accepted + timedelta(seconds=rng.randint(30, 240))
        onsite_at = accepted + timedelta(seconds=rng.randint(150, 300) if on_time else rng.randint(330, 90 * 60))
        onsite_at = max(onsite_at, assign_at + timedelta(seconds=30))
        plan_at = None
        if severity == "complex":
            plan_at = onsite_at + timedelta(minutes=rng.randint(120, 20 * 60) if rng.random() < 0.85
                                            else rng.randint(25 * 60, 60 * 60))
            resolved_at = plan_at + timedelta(minutes=rng.randint(24 * 60, 10 * 24 * 60))
        elif severity == "major":
            resolved_at = accepted + timedelta(minutes=rng.randint(40, 235) if rng.random() < 0.8
                                               else rng.randint(250, 30 * 60))
        else:
            resolved_at = accepted + timedelta(minutes=rng.randint(12, 30) if rng.random() < 0.75
                                               else rng.randint(31, 300))
        resolved_at = max(resolved_at, onsite_at + timedelta(minutes=3))
        pause = resume = reopen = None
        if kind == "repair" and rng.random() < 0.1:  # waiting for parts
            pause = onsite_at + timedelta(minutes=rng.randint(10, 60))
            resume = pause + timedelta(hours=rng.randint(20, 72))
            resolved_at = max(resolved_at, resume + timedelta(minutes=rng.randint(20, 120)))
        if rng.random() < 0.03:  # resolved, but the resident said it was not fixed
            reopen = resolved_at + timedelta(hours=rng.randint(1, 20))
        final_resolved = resolved_at if reopen is None else reopen + timedelta(hours=rng.randint(2, 30))
        callback_at = self.daytime(final_resolved + timedelta(days=rng.choice((0, 1, 1, 2))), 9, 18)
        if callback_at <= final_resolved:
            callback_at = final_resolved + timedelta(minutes=rng.randint(30, 180))

        target = spec["status"]
        if target is None:
            age_days = (now - accepted).total_seconds() / 86400
            if age_days < 1:
                weights = (22, 22, 22, 24, 10)
            elif age_days < 7:
                weights = (2, 4, 6, 30, 58)
            else:  # a few old ones are stuck: the desk view shows them in red
                weights = (0.05, 0.1, 0.35, 12, 87.5)
            target = rng.choices(STATUSES, weights)[0]
        stop = STATUSES.index(target)
        if target == "on_site" and pause is None and (spec.get("waiting") or kind == "repair" and rng.random() < 0.4):
            pause = onsite_at + timedelta(minutes=rng.randint(10, 60))
            resume = None

        events: list[tuple[datetime, str, str | None, str | None, str | None, str, str]] = []

        def event(at, action, status_from, status_to, actor_id, actor_name, note=""):
            events.append((at, action, status_from, status_to, actor_id, actor_name, note))

        user_actor = assignee_id if kind_a == "user" else None
        status = "accepted"
        event(accepted, "accept", None, "accepted", desk["id"], desk["name"])
        times = {"onsite_at": None, "plan_at": None, "resolved_at": None, "called_back_at": None}
        assigned = False
        paused = 0
        if stop >= 1 and assign_at <= now:
            event(assign_at, "assign", "accepted", "assigned", desk["id"], desk["name"], assignee_name)
            status, assigned = "assigned", True
            if stop >= 2 and onsite_at <= now:
                event(onsite_at, "on_site", "assigned", "on_site", user_actor, assignee_name)
                status, times["onsite_at"] = "on_site", onsite_at
        if status == "on_site" and plan_at is not None and plan_at <= now:
            event(plan_at, "plan", "on_site", "on_site", user_actor, assignee_name, "书面处置方案已报站长审批")
            times["plan_at"] = plan_at
        if status == "on_site" and pause is not None and pause <= now:
            event(pause, "pause", "on_site", "on_site", user_actor, assignee_name, "等待配件")
            if resume is not None and resume <= now:
                event(resume, "resume", "on_site", "on_site", user_actor, assignee_name, "配件已到")
            else:
                paused = 1
                stop = min(stop, 2)
        if status == "on_site" and stop >= 3 and resolved_at <= now and not paused:
            event(resolved_at, "resolve", "on_site", "resolved", user_actor, assignee_name, spec["resolution"])
            status, times["resolved_at"] = "resolved", resolved_at
            if reopen is not None and reopen <= now:
                event(reopen, "reopen", "resolved", "assigned", desk["id"], desk["name"], "居民反映问题未解决")
                status, times["resolved_at"] = "assigned", None
                again = reopen + timedelta(minutes=rng.randint(20, 120))
                if again <= now:
                    event(again, "on_site", "assigned", "on_site", user_actor, assignee_name)
                    status = "on_site"
                    if final_resolved <= now:
                        event(final_resolved, "resolve", "on_site", "resolved", user_actor, assignee_name,
                              spec["resolution"])
                        status, times["resolved_at"] = "resolved", final_resolved
        if status == "resolved" and stop >= 4 and callback_at <= now:
            event(callback_at, "callback", "resolved", "called_back", desk["id"], desk["name"])
            status, times["called_back_at"] = "called_back", callback_at
        spec["status"], spec["times"] = status, times
        spec["desk"] = desk
        for at, action, status_from, status_to, actor_id, actor_name, note in events:
            self.rows["ticket_events"].append({
                "id": self.uid(), "ticket_id": spec["id"], "at": _iso(at), "action": action, "status_from": status_from,
                "status_to": status_to, "actor_id": actor_id, "actor_name": actor_name, "note": note})
        household, resident = spec["household"], spec["resident"]
        return {
            "id": spec["id"], "number": None, "kind": kind, "source": spec["source"], "severity": severity,
            "status": status, "paused": paused, "household_id": household["id"] if household else None,
            "resident_id": resident["id"] if resident else None, "caller_name": spec["caller_name"],
            "caller_phone": spec["caller_phone"], "summary": spec["summary"], "detail": spec["detail"],
            "attachment": "", "accepted_at": _iso(accepted), "accepted_by": desk["name"],
            "assignee_kind": kind_a if assigned else None, "assignee_id": assignee_id if assigned else None,
            "assignee_name": assignee_name if assigned else "",
            "onsite_due_at": _iso(due["onsite_due_at"]),
            "resolve_due_at": _iso(due["resolve_due_at"]) if due["resolve_due_at"] else None,
            "plan_due_at": _iso(due["plan_due_at"]) if due["plan_due_at"] else None,
            "onsite_at": _iso(times["onsite_at"]) if times["onsite_at"] else None,
            "plan_at": _iso(times["plan_at"]) if times["plan_at"] else None,
            "resolved_at": _iso(times["resolved_at"]) if times["resolved_at"] else None,
            "called_back_at": _iso(times["called_back_at"]) if times["called_back_at"] else None,
            "resolution": spec["resolution"] if times["resolved_at"] else "",
            "visit_id": spec["visit_id"], "meeting_id": spec["meeting_id"],
        }

    def finish_tickets(self) -> None:
        rng = self.rng
        rows = [self.finish_ticket(spec) for spec in self.tickets]
        order = sorted(range(len(rows)), key=lambda i: (rows[i]["accepted_at"], rows[i]["id"]))
        day, seq = None, 0
        for i in order:
            row = rows[i]
            today = row["accepted_at"][:10].replace("-", "")
            seq = seq + 1 if today == day else 1
            day = today
            row["number"] = "{code}-{day}-{seq:03d}".format(code=self.code, day=today, seq=seq)
        self.rows["tickets"] = [rows[i] for i in order]
        for spec in self.tickets:
            if spec["status"] != "called_back":
                continue
            poor = spec["estate"] == self.poor_estate  # the estate whose residents are unhappy (see build_surveys)
            rating = rng.choices(("satisfied", "basic", "dissatisfied"), (30, 22, 48) if poor else (70, 22, 8))[0]
            household = spec["household"]
            self.rows["satisfaction"].append({
                "id": self.uid(), "channel": "callback", "ticket_id": spec["id"], "survey_id": None,
                "household_id": household["id"] if household else None, "estate": spec["estate"] or "",
                "rating": rating, "comment": rng.choice(dd.CALLBACK_COMMENTS[rating]),
                "answered_at": _iso(spec["times"]["called_back_at"]), "recorded_by": spec["desk"]["name"]})

    # ---- visits --------------------------------------------------------------------------------
    def visit_time(self, earliest: datetime, latest: datetime) -> datetime:
        """A time between the two, in the guards' working hours (7:00-21:00) when there is one."""
        rng = self.rng
        span = int((latest - earliest).total_seconds())
        moment = latest
        for _try in range(12):
            moment = earliest + timedelta(seconds=rng.randrange(max(1, span)))
            if 7 <= moment.hour < 21:
                return moment
        return moment

    def build_visits(self, households_total: int) -> None:
        """Visits of the key households over the last DAYS days, at about each household's interval.

        Times are worked out as whole seconds before now (fast: 500,000 visits at street scale).
        """
        rng, now = self.rng, self.now
        random_, randrange, uniform, choice = rng.random, rng.randrange, rng.uniform, rng.choice
        guards = self.staff["guard"]
        estate_guard = {e: guards[i % len(guards)] for i, e in enumerate(self.estates)}
        rows = self.rows["visits"]
        notes = dd.VISIT_NOTES_NORMAL
        day_now = now.hour * 3600 + now.minute * 60 + now.second
        horizon = DAYS * 86400

        def pick(nearest: float, farthest: float) -> int:
            """Seconds before now, between the two, at 7:00-21:00 when the window has such a time."""
            span = max(1, int(farthest - nearest))
            for _try in range(12):
                offset = int(nearest) + randrange(span)
                if 25200 <= (day_now - offset) % 86400 < 75600:
                    return offset
            return offset

        escalated_any = False
        key = [h for h in self.households if h["interval"]]
        for index, h in enumerate(key):
            if index % PROGRESS_EVERY == 0:
                self.check(households_total + index * households_total // max(1, len(key)))
            interval = h["interval"] * 3600
            if random_() < 0.1:  # fallen behind
                offset = pick(interval * 1.3, interval * uniform(2.0, 4.0))
            else:
                offset = pick(interval * 0.05, interval * 0.9)
            cared = [p for p in h["people"] if p["categories"]]
            home_guard = estate_guard[h["estate"]]
            low, high = (0.6, 0.95) if interval > 86400 else (0.75, 0.97)  # most rounds keep to the interval
            while offset <= horizon:
                guard = home_guard if random_() < 0.8 else choice(guards)
                late = 1 if random_() < 0.015 else 0
                row = {"id": self.uid(), "household_id": h["id"], "visited_at": _iso(now - timedelta(seconds=offset)),
                       "late_entry": late,
                       "visitor_id": guard["id"], "visitor_name": guard["name"], "outcome": "normal", "finding": "",
                       "handling": None, "ticket_id": None, "corrects_id": None,
                       "notes": "补录（纸质巡查单）" if late else choice(notes)}
                if random_() < 0.03:
                    self.anomaly(row, h, cared, now - timedelta(seconds=offset), random_() < 0.3)
                    escalated_any = escalated_any or row["handling"] == "escalated"
                rows.append(row)
                step = interval * uniform(low, high)
                offset = pick(offset + step - interval * 0.03, offset + step + interval * 0.03)
        if not escalated_any and rows:
            row = rows[0]
            h = next(x for x in key if x["id"] == row["household_id"])
            self.anomaly(row, h, [p for p in h["people"] if p["categories"]],
                         datetime.fromisoformat(row["visited_at"]), True)

    def anomaly(self, row: dict, h: dict, cared: list[dict], moment: datetime, escalate: bool) -> None:
        rng = self.rng
        finding, kind, severity, on_site_note = rng.choice(dd.VISIT_FINDINGS)
        row.update(outcome="anomaly", finding=finding, handling="escalated" if escalate else "on_site",
                   notes="已上报服务站" if escalate else on_site_note)
        if escalate:
            person = rng.choice(cared) if cared else h["people"][0]
            accepted = min(self.now, moment + timedelta(minutes=rng.randint(2, 15)))
            text = ("走访发现：{f}".format(f=finding), "{who}入户走访{place}时发现{f}".format(
                who=row["visitor_name"], place="{place}", f=finding), on_site_note)
            spec = self.ticket_spec(accepted, kind, "visit", h, text=text, severity=severity, visit_id=row["id"])
            spec["resident"], spec["caller_name"] = person, person["name"]
            spec["caller_phone"] = person["phone"] or spec["caller_phone"]
            row["ticket_id"] = spec["id"]

    # ---- meetings ------------------------------------------------------------------------------
    def build_meetings(self) -> None:
        rng, now = self.rng, self.now
        year = lambda age: self.today.year - age  # noqa: E731
        cast = {
            "party": [(self.name("M", year(52)), "社区党委书记")],
            "community": [(self.name("F", year(46)), "社区居委会主任"), (self.name("F", year(33)), "社区网格员")],
            "owners_committee": [(self.name("M", year(61)), "业委会主任"), (self.name("F", year(57)), "业委会委员")],
            "property": [(self.name("M", year(41)), "物业项目经理"), (self.name("F", year(35)), "物业客服主管")],
            "police": [(self.name("M", year(38)), "社区民警（片警）")],
        }
        admin = self.staff["admin"][0]
        per_month = 2 * max(1, len(self.estates) // 5)
        count = max(3, per_month * 3)
        kinds = ("roundtable", "tripartite", "quadripartite", "residents")
        base_tickets = [t for t in self.tickets if t["source"] not in ("visit", "meeting")]
        for index in range(count):
            kind = kinds[index] if index < len(kinds) else rng.choices(kinds, (45, 25, 20, 10))[0]
            estate = rng.choice(self.estates)
            day = self.start + timedelta(days=(index + rng.random()) * (DAYS - 1) / count)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            held = day.replace(hour=rng.choice((9, 14, 15)), minute=rng.choice((0, 0, 30)), second=0)
            if held > now - timedelta(hours=2):
                held = (now - timedelta(days=1)).replace(hour=15, minute=0, second=0)
            mid = self.uid()
            host = cast["party"][0][0] if kind == "quadripartite" else cast["community"][0][0]
            recorder = rng.choice(self.staff["desk"])["name"]
            title = dd.MEETING_TITLES[kind].format(estate=estate)
            attendees = []

            def attend(party, name, title_, person_kind=None, person_id=None):
                attendees.append({"id": self.uid(), "meeting_id": mid, "party": party, "name": name, "title": title_,
                                  "person_kind": person_kind, "person_id": person_id})

            if kind == "quadripartite":
                attend("party", *cast["party"][0])
            for name, title_ in cast["community"][:1 if kind == "residents" else 2]:
                attend("community", name, title_)
            for name, title_ in cast["owners_committee"]:
                attend("owners_committee", name, title_)
            attend("property", admin["name"], "服务站站长", "user", admin["id"])
            for name, title_ in cast["property"][:1 if kind == "residents" else 2]:
                attend("property", name, title_)
            if kind in ("quadripartite", "roundtable") and rng.random() < 0.5:
                attend("police", *cast["police"][0])
            reps = [p for h in rng.sample(self.by_estate[estate], min(len(self.by_estate[estate]), 6))
                    for p in h["people"] if p["age"] >= 30][:5 if kind == "residents" else rng.randint(1, 3)]
            if kind in ("roundtable", "residents"):
                for p in reps:
                    attend("residents_rep", p["name"], "居民代表", "resident", p["id"])
            self.rows["meeting_attendees"] += attendees
            self.rows["meetings"].append({
                "id": mid, "title": title, "kind": kind, "estate": estate, "held_at": _iso(held),
                "place": rng.choice(dd.MEETING_PLACES).format(estate=estate), "host": host, "recorder": recorder,
                "summary": "会议围绕居民关心的问题进行了协商，形成决议并明确责任人和完成时限。"})
            speakers = [a["name"] for a in attendees]
            for seq, topic in enumerate(rng.sample(dd.MEETING_TOPICS, rng.randint(2, 4)), start=1):
                topic_title, discussion, resolution, ticket_kind, action = topic
                tid = self.uid()
                related = [t["id"] for t in base_tickets if t["estate"] == estate and t["accepted_at"] < held
                           and t["kind"] in ("complaint", "suggestion", "repair")]
                linked = rng.sample(related, min(len(related), rng.randint(1, 3))) if related and rng.random() < 0.5 else []
                self.rows["meeting_topics"].append({
                    "id": tid, "meeting_id": mid, "seq": seq, "title": topic_title, "raised_by": rng.choice(speakers),
                    "discussion": discussion, "resolution": resolution, "ticket_ids": json.dumps(linked)})
                owner_party = rng.choice(("property", "community", "owners_committee"))
                owner = admin["name"] if owner_party == "property" and rng.random() < 0.5 else cast[owner_party][0][0]
                due = held.date() + timedelta(days=rng.randint(7, 30))
                ticket_id = None
                accepted = held + timedelta(minutes=rng.randint(60, 24 * 60))
                if ticket_kind and accepted <= now - timedelta(minutes=5) and rng.random() < 0.6:
                    spec = self.ticket_spec(accepted, ticket_kind, "meeting", None,
                                            text=(action, "{title}决议：{r}".format(title=title, r=resolution), "已按会议决议完成"),
                                            severity=rng.choice(("major", "complex")), meeting_id=mid)
                    spec.update(household=None, resident=None, caller_name=owner, caller_phone="", estate=estate)
                    ticket_id = spec["id"]
                done = due <= self.today and rng.random() < 0.75 or due > self.today and rng.random() < 0.25
                done_at = None
                if done:
                    latest = min(now, datetime.combine(due, datetime.min.time()).replace(hour=17))
                    done_at = _iso(self.visit_time(held + timedelta(days=1), max(latest, held + timedelta(days=1, hours=2))))
                    if done_at > _iso(now):
                        done, done_at = False, None
                self.rows["meeting_actions"].append({
                    "id": self.uid(), "meeting_id": mid, "topic_id": tid, "description": action,
                    "owner": owner, "due_date": due.isoformat(), "status": "done" if done else "open",
                    "done_at": done_at, "ticket_id": ticket_id})

    # ---- activities ----------------------------------------------------------------------------
    def build_activities(self, households: int) -> None:
        rng, now = self.rng, self.now
        scale = max(1, round(households / 5000))
        admin = self.staff["admin"][0]
        week = self.start
        first = True
        while week < now + timedelta(days=7):
            for _i in range(rng.choice((1, 1, 2)) * scale):
                kind = rng.choices(list(dd.ACTIVITIES), (20, 15, 20, 20, 12, 10, 3))[0]
                title, place, team_index = rng.choice(dd.ACTIVITIES[kind])
                estate = rng.choice(self.estates)
                day = week + timedelta(days=rng.choice((1, 3, 5, 5, 6)))
                starts = day.replace(hour=rng.choice((8, 9, 9, 14, 15)), minute=rng.choice((0, 30)), second=0)
                if first:  # one activity still to come, people signed up
                    starts, first = (now + timedelta(days=rng.randint(2, 6))).replace(hour=9, minute=0, second=0), False
                hours = rng.choice((1.5, 2.0, 2.0, 2.5, 3.0))
                ends = starts + timedelta(minutes=int(hours * 60))
                team = self.teams[team_index] if 0 <= team_index < len(self.teams) else None
                aid = self.uid()
                self.rows["activities"].append({
                    "id": aid, "title": title.format(estate=estate), "kind": kind, "estate": estate,
                    "place": place.format(estate=estate), "starts_at": _iso(starts), "ends_at": _iso(ends),
                    "hours": hours, "organiser": team["leader"]["name"] if team else admin["name"],
                    "team_id": team["id"] if team else None, "description": ""})
                pool = list(team["members"]) if team else []
                others = [v for v in self.volunteers if v not in pool]
                size = min(len(self.volunteers), rng.randint(4, 14))
                chosen = rng.sample(pool, min(len(pool), size))
                chosen += rng.sample(others, min(len(others), size - len(chosen)))
                over = ends > now
                for v in chosen:
                    attended = 0 if over else int(rng.random() < 0.9)
                    given = hours if rng.random() < 0.85 else max(0.5, hours + rng.choice((-1.0, -0.5, 0.5)))
                    self.rows["attendance"].append({
                        "id": self.uid(), "activity_id": aid, "volunteer_id": v["id"], "signed_up": 1,
                        "attended": attended, "hours": given if attended else 0.0})
            week += timedelta(days=7)

    # ---- surveys -------------------------------------------------------------------------------
    def build_surveys(self) -> None:
        rng = self.rng
        last_month_end = self.today.replace(day=1) - timedelta(days=1)
        first_day = last_month_end.replace(day=1)
        period = first_day.strftime("%Y-%m")
        poor = self.poor_estate
        for estate in self.estates:
            sid = self.uid()
            started = first_day + timedelta(days=rng.randint(2, 8))
            self.rows["surveys"].append({
                "id": sid, "estate": estate, "period": period, "started_on": started.isoformat(),
                "title": "{estate}{y}年{m}月居民满意度调查".format(estate=estate, y=first_day.year, m=first_day.month)})
            homes = self.by_estate[estate]
            weights = (35, 20, 45) if estate == poor else (68, 24, 8)
            for h in rng.sample(homes, max(1, round(len(homes) * 0.2))) if homes else []:
                day = started + timedelta(days=rng.randint(0, max(0, (last_month_end - started).days)))
                moment = self.daytime(datetime.combine(day, datetime.min.time()), 9, 20)
                rating = rng.choices(("satisfied", "basic", "dissatisfied"), weights)[0] if rng.random() < 0.95 else None
                self.rows["satisfaction"].append({
                    "id": self.uid(), "channel": "survey", "ticket_id": None, "survey_id": sid, "household_id": h["id"],
                    "estate": estate, "rating": rating,
                    "comment": rng.choice(dd.SURVEY_COMMENTS[rating]) if rating else "电话未接通",
                    "answered_at": _iso(min(moment, self.now)), "recorded_by": rng.choice(self.staff["desk"])["name"]})


def _ensure_users(change: Write) -> dict[str, list[dict]]:
    """The demo accounts (skipping user names that exist) and the staff by role: [{id, name}]."""
    conn = change.conn
    wanted = list(DEMO_USERS)
    if conn.execute("SELECT 1 FROM users WHERE role = 'admin' AND active = 1").fetchone() is None:
        wanted.insert(0, DEMO_ADMIN)
    password_hash = None
    for username, display_name, role in wanted:
        if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            continue
        if password_hash is None:
            password_hash = user_service.hash_password(DEMO_PASSWORD)
        user_service.add_user(change, username, display_name, role, DEMO_PASSWORD, password_hash=password_hash)
    staff: dict[str, list[dict]] = {"admin": [], "desk": [], "guard": [], "viewer": []}
    for row in conn.execute("SELECT id, display_name, role FROM users WHERE active = 1 ORDER BY created_at, username"):
        staff[row["role"]].append({"id": row["id"], "name": row["display_name"]})
    for role in ("desk", "guard"):  # accounts taken by other roles: let the manager stand in
        staff[role] = staff[role] or staff["admin"]
    return staff


def generate(session: Session, households: int, seed: int = 1, now: datetime | None = None,
             progress: Callable[[int, int], None] | None = None,
             cancelled: Callable[[], bool] | None = None) -> dict[str, int]:
    """Fill an empty register with ``households`` households of sample data; returns what it made."""
    if households < 1:
        raise RedStationError(_("The number of sample households must be 1 or more, not {count}").format(count=households))
    now = (now or datetime.now()).replace(microsecond=0)
    total = 3 * households

    def tick(done: int) -> None:
        if cancelled is not None and cancelled():
            raise RedStationError(_("Cancelled"))
        if progress is not None:
            progress(min(done, total), total)

    with session.write("demo.generate", detail={"households": households, "seed": seed}) as change:
        live = change.conn.execute("SELECT count(*) FROM households WHERE deleted = 0").fetchone()[0]
        if live:
            raise RedStationError(_("Sample data goes only into an empty register: this database already holds "
                                    "{count} households").format(count=live))
        if session.station_id is None:
            station_id = _create_station(change, STATION_NAME, COMMUNITY, STREET)
            change.update("stations", station_id, phone=STATION_PHONE, address=STATION_ADDRESS)
        code = session.station()["code"]
        staff = _ensure_users(change)
        tick(0)
        gen = _Generator(random.Random(seed), now, code, staff, tick)
        collecting = gc.isenabled()
        gc.disable()  # a million small dicts and no cycles: the collector would only rescan them again and again
        try:
            gen.build_households(households)
            gen.build_volunteers(households)
            gen.build_tickets(households)
            gen.build_visits(households)
            gen.build_meetings()
            gen.build_activities(households)
            gen.finish_tickets()
            gen.build_surveys()
        finally:
            if collecting:
                gc.enable()
        rows_total = sum(len(rows) for rows in gen.rows.values()) or 1
        written = 0
        with db.page_cache(change.conn, min(512, 16 + rows_total // 2000)):
            for table in TABLES:
                rows = gen.rows[table]
                change.insert_many(table, rows)
                written += len(rows)
                tick(2 * households + households * written // rows_total)
        made = {
            "households": len(gen.rows["households"]),
            "residents": len(gen.rows["residents"]),
            "key_households": sum(1 for h in gen.households if h["interval"]),
            "visits": len(gen.rows["visits"]),
            "tickets": len(gen.rows["tickets"]),
            "ticket_events": len(gen.rows["ticket_events"]),
            "satisfaction": len(gen.rows["satisfaction"]),
            "surveys": len(gen.rows["surveys"]),
            "volunteers": len(gen.rows["volunteers"]),
            "teams": len(gen.rows["teams"]),
            "activities": len(gen.rows["activities"]),
            "attendance": len(gen.rows["attendance"]),
            "meetings": len(gen.rows["meetings"]),
            "meeting_actions": len(gen.rows["meeting_actions"]),
        }
        change.detail.update(made=made)
    return made
