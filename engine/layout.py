"""Automatic diagram interchange (BPMN DI) for BPMN 2.0 documents.

``layout_bpmn(xml)`` removes every ``bpmndi:BPMNDiagram`` from a document and writes a
fresh one: one pool per participant, one horizontal band per lane (laneSet order), every
flow node in its lane's band, columns by longest-path layering from the start event
(back edges of loops are ignored for the layering), nodes sharing a (column, lane) cell
stacked vertically, orthogonal sequence flows that do not cross shapes, and label bounds
for named events, gateways and flows.  Subprocesses are drawn collapsed
(``isExpanded="false"``); their content gets its own diagram/plane, as bpmn-js does for
collapsed subprocesses.

``check_layout(xml)`` lists problems: flow nodes or sequence flows without DI, overlapping
shapes, shapes outside their lane and labels on top of shapes.

Pure module: lxml and engine/lint's XML helpers only, no database.  Output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .lint import local_name

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}

TASKS = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity",
}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = TASKS | CONTAINERS | EVENTS | GATEWAYS
ARTIFACTS = {"dataObjectReference", "dataStoreReference", "textAnnotation"}

SIZES = {
    "task": (100, 80), "event": (36, 36), "gateway": (50, 50),
    "dataObjectReference": (36, 50), "dataStoreReference": (50, 50), "textAnnotation": (100, 30),
}

ORIGIN_X, ORIGIN_Y = 160, 60
POOL_HEADER = 30          # vertical title strip of a pool
LANE_HEADER = 30          # vertical title strip of a lane
ROW_H = 130               # height of one row inside a lane band
LANE_PAD = 15             # free space above the first and below the last row of a band
GAP = 80                  # horizontal space between two columns (edges run here)
MARGIN = 80               # space left of the first and right of the last column
POOL_GAP = 60             # vertical space between pools
LABEL_W = 90              # bpmn-js wraps external labels at 90px
LINE_H = 14
CHAR_W = 6


def _is_bpmn(el) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace == BPMN


def _kind(tag: str) -> str:
    if tag in EVENTS:
        return "event"
    if tag in GATEWAYS:
        return "gateway"
    if tag in ARTIFACTS:
        return tag
    return "task"


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2

    def overlaps(self, other: Box, margin: int = 0) -> bool:
        return (self.x - margin < other.right and other.x < self.right + margin
                and self.y - margin < other.bottom and other.y < self.bottom + margin)

    def contains(self, other: Box) -> bool:
        return (self.x <= other.x and other.right <= self.right
                and self.y <= other.y and other.bottom <= self.bottom)


def _seg_hits(p, q, b: Box, margin: int = 0) -> bool:
    """Does the axis-parallel segment p-q enter the interior of b (grown by margin)?"""
    lx, hx = min(p[0], q[0]), max(p[0], q[0])
    ly, hy = min(p[1], q[1]), max(p[1], q[1])
    return lx < b.right + margin and hx > b.x - margin and ly < b.bottom + margin and hy > b.y - margin


def _text_size(text: str, max_w: int = LABEL_W) -> tuple[int, int]:
    """Rough size of a label as bpmn-js renders it (11px Arial, wrapped at 90px)."""
    max_chars = max(1, (max_w - 4) // CHAR_W)
    lines: list[str] = []
    for word in text.split():
        while len(word) > max_chars:          # very long word: hard break
            lines.append(word[:max_chars])
            word = word[max_chars:]
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] = lines[-1] + " " + word
        else:
            lines.append(word)
    if not lines:
        return (0, 0)
    width = max(len(line) for line in lines) * CHAR_W + 4
    return (min(max_w, width), len(lines) * LINE_H)


def _simplify(points):
    out = []
    for p in points:
        p = (int(p[0]), int(p[1]))
        if out and out[-1] == p:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
            continue
        out.append(p)
    return out


# --------------------------------------------------------------------------------------
# Layout of the flow inside one container (process or subprocess)
# --------------------------------------------------------------------------------------

@dataclass
class _Shape:
    element_id: str
    box: Box
    tag: str
    label: Box | None = None
    attrs: dict = field(default_factory=dict)


@dataclass
class _Edge:
    element_id: str
    points: list
    label: Box | None = None


@dataclass
class _Plane:
    element_id: str
    shapes: list = field(default_factory=list)
    edges: list = field(default_factory=list)


class _FlowLayout:
    """Places the flow nodes of one container into bands (lanes) and routes its flows."""

    def __init__(self, container, bands: list, band_of: dict, content_left: int, top: int,
                 pooled: bool = False):
        self.container = container
        self.nb = max(1, len(bands))
        self.band_of_lane = band_of
        self.content_left = content_left
        self.top = top
        self.nodes = [el for el in container if _is_bpmn(el) and local_name(el) in FLOW_NODES]
        self.by_id = {el.get("id"): el for el in self.nodes}
        self.order = {el.get("id"): i for i, el in enumerate(self.nodes)}
        self.host = {el.get("id"): el.get("attachedToRef") for el in self.nodes
                     if local_name(el) == "boundaryEvent" and el.get("attachedToRef") in self.by_id}
        self.main = [el.get("id") for el in self.nodes if el.get("id") not in self.host]
        self.flows = [f for f in container if _is_bpmn(f) and local_name(f) == "sequenceFlow"
                      and f.get("sourceRef") in self.by_id and f.get("targetRef") in self.by_id]
        self.boxes: dict[str, Box] = {}
        self.used_h: list = []
        self.used_v: list = []
        self.ports: dict[tuple[str, str], set] = {}
        self._layer()
        self._bands()
        self._place()
        # horizontal corridors stay inside the pool, or close to the content without one
        self.limits = (self.top, self.bottom) if pooled else (self.top - 60, self.bottom + 60)

    # -- graph -------------------------------------------------------------------------
    def _layer(self):
        succ: dict[str, list[str]] = {n: [] for n in self.main}
        self.graph_edges = []
        for f in self.flows:
            s = self.host.get(f.get("sourceRef"), f.get("sourceRef"))
            t = f.get("targetRef")
            if t in self.host:
                continue
            succ[s].append(t)
            self.graph_edges.append((s, t))
        indeg = {n: 0 for n in self.main}
        for _s, t in self.graph_edges:
            indeg[t] += 1
        starts = [n for n in self.main if local_name(self.by_id[n]) == "startEvent"]
        roots = starts + [n for n in self.main if indeg[n] == 0 and n not in starts] + list(self.main)
        state: dict[str, int] = {}
        back: set = set()
        for root in roots:
            if root in state:
                continue
            stack = [(root, iter(succ[root]))]
            state[root] = 1
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[node] = 2
                    stack.pop()
                    continue
                if state.get(nxt) == 1:
                    back.add((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))
        self.back = back
        fwd = [(s, t) for s, t in self.graph_edges if (s, t) not in back]
        self.preds: dict[str, list[str]] = {n: [] for n in self.main}
        fsucc: dict[str, list[str]] = {n: [] for n in self.main}
        indeg = {n: 0 for n in self.main}
        for s, t in fwd:
            self.preds[t].append(s)
            fsucc[s].append(t)
            indeg[t] += 1
        layer = {n: 0 for n in self.main}
        ready = [n for n in self.main if indeg[n] == 0]
        topo = []
        while ready:
            ready.sort(key=lambda n: self.order[n])
            n = ready.pop(0)
            topo.append(n)
            for t in fsucc[n]:
                layer[t] = max(layer[t], layer[n] + 1)
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
        self.layer = layer
        self.topo = topo
        self.n_layers = (max(layer.values()) + 1) if layer else 0

    def _bands(self):
        band = {}
        for n in self.topo:
            if n in self.band_of_lane:
                band[n] = self.band_of_lane[n]
            else:
                ps = self.preds[n]
                band[n] = band.get(ps[0], 0) if ps else 0
        self.band = band
        cells: dict[tuple[int, int], list[str]] = {}
        for n in self.main:
            cells.setdefault((self.layer[n], band[n]), []).append(n)
        self.row = {}
        for lyr in range(self.n_layers):
            for b in range(self.nb):
                members = cells.get((lyr, b), [])

                def key(n):
                    ps = [p for p in self.preds[n] if p in self.row]
                    bary = (sum(self.band[p] * 1000 + self.row[p] for p in ps) / len(ps)) if ps else 1e9
                    return (bary, self.order[n])

                for i, n in enumerate(sorted(members, key=key)):
                    self.row[n] = i
        rows = [1] * self.nb
        for (_lyr, b), members in cells.items():
            rows[b] = max(rows[b], len(members))
        self.band_h = [r * ROW_H + 2 * LANE_PAD for r in rows]
        self.band_top = []
        y = self.top
        for h in self.band_h:
            self.band_top.append(y)
            y += h
        self.bottom = y

    def _size(self, node_id):
        return SIZES[_kind(local_name(self.by_id[node_id]))]

    def _place(self):
        colw = [0] * self.n_layers
        for n in self.main:
            colw[self.layer[n]] = max(colw[self.layer[n]], self._size(n)[0])
        self.colw = colw
        self.col_x = []
        x = self.content_left + MARGIN
        for w in colw:
            self.col_x.append(x)
            x += w + GAP
        self.right = (x - GAP + MARGIN) if colw else self.content_left + 2 * MARGIN
        for n in self.main:
            w, h = self._size(n)
            cx = self.col_x[self.layer[n]] + self.colw[self.layer[n]] // 2
            cy = self.band_top[self.band[n]] + LANE_PAD + self.row[n] * ROW_H + ROW_H // 2
            self.boxes[n] = Box(cx - w // 2, cy - h // 2, w, h)
        per_host: dict[str, list[str]] = {}
        for b, h in self.host.items():
            per_host.setdefault(h, []).append(b)
        for h, bes in per_host.items():
            hb = self.boxes[h]
            for i, b in enumerate(bes):
                if i < 2:      # bottom edge: right, then left; the middle stays free for loops
                    cx, cy = (hb.right - 22, hb.bottom) if i == 0 else (hb.x + 22, hb.bottom)
                else:          # more than two: continue on the top edge
                    cx, cy = (hb.right - 22, hb.y) if i == 2 else (hb.x + 22 + (i - 3) * 40, hb.y)
                self.boxes[b] = Box(cx - 18, cy - 18, 36, 36)

    # -- routing -----------------------------------------------------------------------
    def gap(self, g: int) -> tuple[int, int]:
        if g < 0:
            left = self.col_x[0] - MARGIN if self.col_x else self.content_left
            return (left + 10, self.col_x[0] if self.col_x else left + MARGIN)
        left = self.col_x[g] + self.colw[g]
        right = self.col_x[g + 1] if g + 1 < self.n_layers else left + MARGIN
        return (left, right)

    def vslot(self, g: int, y1: int, y2: int) -> int:
        left, right = self.gap(g)
        center = (left + right) // 2
        lo, hi = min(y1, y2), max(y1, y2)
        for k in range(0, 12):
            off = ((k + 1) // 2) * 8 * (1 if k % 2 else -1)
            x = center + off
            if not (left + 6 <= x <= right - 6):
                continue
            if not any(abs(x - ux) < 4 and uy1 < hi + 4 and lo - 4 < uy2 for ux, uy1, uy2 in self.used_v):
                return x
        return center

    def corridor(self, xa: int, xb: int, pref: int, min_y=None, max_y=None) -> int | None:
        """A free horizontal line between xa and xb, as close to pref as possible."""
        lo_x, hi_x = min(xa, xb), max(xa, xb)
        blocked = [(b.y - 5, b.bottom + 5) for b in self.boxes.values() if b.x - 3 < hi_x and lo_x < b.right + 3]
        blocked += [(t - 5, t + 5) for t in self.band_top[1:]]
        top, bottom = self.limits
        lo_y = max(top + 6, min_y if min_y is not None else top + 6)
        hi_y = min(bottom - 6, max_y if max_y is not None else bottom - 6)
        best = None
        for y in range(lo_y, hi_y + 1, 2):
            if any(a < y < b for a, b in blocked):
                continue
            if any(abs(y - uy) < 5 and ux1 < hi_x + 4 and lo_x - 4 < ux2 for uy, ux1, ux2 in self.used_h):
                continue
            score = (abs(y - pref), y)
            if best is None or score < best[0]:
                best = (score, y)
        return best[1] if best else None

    def free(self, points, exclude) -> bool:
        for p, q in zip(points, points[1:], strict=False):
            for nid, b in self.boxes.items():
                if nid in exclude:
                    continue
                if _seg_hits(p, q, b, 2):
                    return False
        return True

    def _commit(self, points):
        for p, q in zip(points, points[1:], strict=False):
            if p[1] == q[1]:
                self.used_h.append((p[1], min(p[0], q[0]), max(p[0], q[0])))
            else:
                self.used_v.append((p[0], min(p[1], q[1]), max(p[1], q[1])))
        return points

    def _connect(self, exit_pts, ya, g_s, tb: Box, g_t, pref, excl):
        """From the last exit point (in or next to gap g_s, at height ya) into tb's left side."""
        ty = tb.cy
        end = (tb.x, ty)
        if g_s == g_t:
            x = self.vslot(g_s, ya, ty)
            return exit_pts + [(x, ya), (x, ty), end]
        xt = self.vslot(g_t, ya, ty)
        cand = exit_pts + [(xt, ya), (xt, ty), end]
        if self.free(_simplify(cand), excl):
            return cand
        xs = self.vslot(g_s, ya, ty)
        cand = exit_pts + [(xs, ya), (xs, ty), end]
        if self.free(_simplify(cand), excl):
            return cand
        gs_mid = sum(self.gap(g_s)) // 2
        gt_mid = sum(self.gap(g_t)) // 2
        cy = self.corridor(gs_mid, gt_mid, pref)
        if cy is None:
            cy = self.limits[1] - 8
        xs = self.vslot(g_s, ya, cy)
        xt = self.vslot(g_t, cy, ty)
        return exit_pts + [(xs, ya), (xs, cy), (xt, cy), (xt, ty), end]

    @staticmethod
    def _side(box: Box, point) -> str:
        x, y = point
        if y == box.y and x != box.x and x != box.right:
            return "top"
        if y == box.bottom and x != box.x and x != box.right:
            return "bottom"
        return "left" if x <= box.cx else "right"

    def _ports_ok(self, s, t, pts) -> bool:
        """A side of a shape is used for incoming or for outgoing flows, never for both."""
        side_s = self._side(self.boxes[s], pts[0])
        side_t = self._side(self.boxes[t], pts[-1])
        return "in" not in self.ports.get((s, side_s), ()) and "out" not in self.ports.get((t, side_t), ())

    def _claim(self, s, t, pts):
        self.ports.setdefault((s, self._side(self.boxes[s], pts[0])), set()).add("out")
        self.ports.setdefault((t, self._side(self.boxes[t], pts[-1])), set()).add("in")
        return self._commit(pts)

    def route(self, flow) -> list:
        s, t = flow.get("sourceRef"), flow.get("targetRef")
        sb, tb = self.boxes[s], self.boxes[t]
        excl = {s, t}
        hs = self.host.get(s, s)
        if t in self.host:                                   # flow into a boundary event
            return self._commit(_simplify([(sb.right, sb.cy), (tb.cx, sb.cy), (tb.cx, tb.y)]))
        if s == t:                                           # self loop: around the lower right corner
            return self._commit([(sb.right, sb.cy), (sb.right + 20, sb.cy), (sb.right + 20, sb.bottom + 20),
                                 (sb.cx, sb.bottom + 20), (sb.cx, sb.bottom)])
        ls, lt = self.layer[hs], self.layer[t]
        s_gw = _kind(local_name(self.by_id[s])) == "gateway"
        t_gw = _kind(local_name(self.by_id[t])) == "gateway"
        cands = []
        if s in self.host:
            if tb.cy > sb.bottom + 10 and tb.x > sb.cx:
                cands.append([(sb.cx, sb.bottom), (sb.cx, tb.cy), (tb.x, tb.cy)])
            gx = sum(self.gap(ls)) // 2
            cy1 = self.corridor(sb.cx, gx, sb.bottom + 14, min_y=sb.bottom + 6)
            if cy1 is None:
                cy1 = sb.bottom + 10
            cands.append(self._connect([(sb.cx, sb.bottom), (sb.cx, cy1)], cy1, ls, tb, lt - 1, cy1, excl))
        elif lt > ls:
            if sb.cy == tb.cy:
                cands.append([(sb.right, sb.cy), (tb.x, tb.cy)])
            if s_gw and sb.cy != tb.cy:
                py = sb.y if tb.cy < sb.cy else sb.bottom
                cands.append([(sb.cx, py), (sb.cx, tb.cy), (tb.x, tb.cy)])
            if t_gw and sb.cy != tb.cy:
                py = tb.y if sb.cy < tb.cy else tb.bottom
                cands.append([(sb.right, sb.cy), (tb.cx, sb.cy), (tb.cx, py)])
            cands.append(self._connect([(sb.right, sb.cy)], sb.cy, ls, tb, lt - 1, sb.cy, excl))
        else:
            low = max(sb.bottom, tb.bottom)
            cy = self.corridor(tb.cx, sb.cx, low + 16, min_y=low + 8)
            if cy is not None:
                cands.append([(sb.cx, sb.bottom), (sb.cx, cy), (tb.cx, cy), (tb.cx, tb.bottom)])
            high = min(sb.y, tb.y)
            cy = self.corridor(tb.cx, sb.cx, high - 16, max_y=high - 8)
            if cy is not None:
                cands.append([(sb.cx, sb.y), (sb.cx, cy), (tb.cx, cy), (tb.cx, tb.y)])
            cands.append(self._connect([(sb.right, sb.cy)], sb.cy, ls, tb, lt - 1, sb.bottom + 20, excl))
        for cand in cands:
            pts = _simplify(cand)
            if self.free(pts, excl) and self._ports_ok(s, t, pts):
                return self._claim(s, t, pts)
        for cand in cands:
            pts = _simplify(cand)
            if self.free(pts, excl):
                return self._claim(s, t, pts)
        return self._claim(s, t, _simplify(cands[-1]))


# --------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------

class _Labeller:
    def __init__(self, shapes: list[_Shape], edges: list[_Edge]):
        self.shapes = shapes
        self.edges = edges
        self.placed: list[Box] = []

    def _score(self, box: Box, own: str | None) -> int:
        """Collisions of a candidate label: shapes weigh most, then labels, then edge segments."""
        score = 0
        for sh in self.shapes:
            if sh.element_id != own and sh.tag not in ("participant", "lane") and box.overlaps(sh.box, 2):
                score += 10000
        score += 100 * sum(1 for p in self.placed if box.overlaps(p, 2))
        for e in self.edges:
            for p, q in zip(e.points, e.points[1:], strict=False):
                if _seg_hits(p, q, box, 1):
                    score += 1
        return score

    def _choose(self, cands: list[tuple[Box, float]], own: str | None) -> Box:
        """Candidates come with a preference penalty; the least colliding one wins."""
        best = None
        for i, (c, penalty) in enumerate(cands):
            key = (self._score(c, own) + penalty, i)
            if best is None or key < best[0]:
                best = (key, c)
        self.placed.append(best[1])
        return best[1]

    def node_label(self, shape: _Shape, text: str, boundary: bool) -> Box:
        w, h = _text_size(text)
        b = shape.box
        below = Box(b.cx - w // 2, b.bottom + 5, w, h)
        above = Box(b.cx - w // 2, b.y - 5 - h, w, h)
        if boundary:
            cands = [Box(b.right + 3, b.cy + 4, w, h), below, Box(b.x - 3 - w, b.cy + 4, w, h)]
        else:
            cands = [below, above,
                     Box(b.right + 3, b.y - h - 2, w, h), Box(b.x - w - 3, b.y - h - 2, w, h),
                     Box(b.right + 3, b.bottom + 2, w, h), Box(b.x - w - 3, b.bottom + 2, w, h)]
        return self._choose([(c, 0.1 * i) for i, c in enumerate(cands)], shape.element_id)

    def edge_label(self, edge: _Edge, text: str) -> Box:
        """Beside the edge, as close to its source as possible."""
        w, h = _text_size(text)
        cands: list[tuple[Box, float]] = []
        p0 = edge.points[0]
        for box in (Box(p0[0] + 4, p0[1] + 3, w, h), Box(p0[0] + 4, p0[1] - h - 3, w, h)):
            cands.append((box, 0.0))
        for i, (p, q) in enumerate(zip(edge.points, edge.points[1:], strict=False)):
            penalty = 0.0 if i < 2 else 0.6
            if p[1] == q[1]:
                lo, hi = min(p[0], q[0]), max(p[0], q[0])
                xs = (lo + 6, hi - w - 6) if q[0] >= p[0] else (hi - w - 6, lo + 6)
                for x in xs:
                    cands.append((Box(x, p[1] - h - 3, w, h), penalty))
                    cands.append((Box(x, p[1] + 3, w, h), penalty))
            else:
                lo, hi = min(p[1], q[1]), max(p[1], q[1])
                ys = (lo + 6, hi - h - 6) if q[1] >= p[1] else (hi - h - 6, lo + 6)
                for y in ys:
                    cands.append((Box(p[0] + 4, y, w, h), penalty))
                    cands.append((Box(p[0] - 4 - w, y, w, h), penalty))
        return self._choose(cands, None)


# --------------------------------------------------------------------------------------
# Document assembly
# --------------------------------------------------------------------------------------

def _lanes_of(process):
    """Leaf lanes in order with depth, plus all lanes with their leaf range."""
    leaves: list[tuple] = []
    all_lanes: list[tuple] = []

    def walk(lane_set, depth):
        for lane in lane_set:
            if not (_is_bpmn(lane) and local_name(lane) == "lane"):
                continue
            child_sets = [c for c in lane if _is_bpmn(c) and local_name(c) == "childLaneSet"]
            first = len(leaves)
            if child_sets and any(local_name(c) == "lane" for c in child_sets[0] if _is_bpmn(c)):
                walk(child_sets[0], depth + 1)
            else:
                leaves.append((lane, depth))
            all_lanes.append((lane, depth, first, len(leaves) - 1))

    for lane_set in process:
        if _is_bpmn(lane_set) and local_name(lane_set) == "laneSet":
            walk(lane_set, 0)
            break
    return leaves, all_lanes


def _band_map(leaves, all_lanes) -> dict:
    band_of = {}
    leaf_index = {id(lane): i for i, (lane, _d) in enumerate(leaves)}
    for lane, _depth, first, _last in all_lanes:
        for ref in lane:
            if _is_bpmn(ref) and local_name(ref) == "flowNodeRef" and ref.text:
                nid = ref.text.strip()
                if id(lane) in leaf_index:
                    band_of[nid] = leaf_index[id(lane)]
                else:
                    band_of.setdefault(nid, first)
    return band_of


class _Builder:
    def __init__(self, root):
        self.root = root
        self.planes: list[_Plane] = []

    # flow content of a container into a plane --------------------------------------------
    def flow_into(self, plane: _Plane, container, bands, band_of, content_left, top, pooled=False):
        fl = _FlowLayout(container, bands, band_of, content_left, top, pooled)
        shapes = []
        for el in fl.nodes:
            nid = el.get("id")
            attrs = {}
            tag = local_name(el)
            if tag in CONTAINERS:
                attrs["isExpanded"] = "false"
                self.subprocess_plane(el)
            if tag == "exclusiveGateway":
                attrs["isMarkerVisible"] = "true"
            shapes.append(_Shape(nid, fl.boxes[nid], tag, attrs=attrs))
        edges = [_Edge(f.get("id"), fl.route(f)) for f in fl.flows]
        plane.shapes.extend(shapes)
        plane.edges.extend(edges)
        return fl, shapes, edges

    def subprocess_plane(self, sub):
        plane = _Plane(sub.get("id"))
        self.planes.append(plane)
        fl, shapes, edges = self.flow_into(plane, sub, [None], {}, ORIGIN_X, ORIGIN_Y + 40)
        self.artifacts(plane, sub, fl.content_left + MARGIN, fl.bottom + 40)
        self.labels(plane, sub)

    def artifacts(self, plane: _Plane, container, x, y):
        placed = {s.element_id: s for s in plane.shapes}
        for el in container:
            if _is_bpmn(el) and local_name(el) in ARTIFACTS and el.get("id"):
                w, h = SIZES[local_name(el)]
                sh = _Shape(el.get("id"), Box(x, y, w, h), local_name(el))
                plane.shapes.append(sh)
                placed[sh.element_id] = sh
                x += w + 40
        for el in container.iter():
            tag = local_name(el)
            if not _is_bpmn(el) or not el.get("id"):
                continue
            src = tgt = None
            if tag == "association":
                src, tgt = el.get("sourceRef"), el.get("targetRef")
            elif tag in ("dataInputAssociation", "dataOutputAssociation"):
                refs = {local_name(c): (c.text or "").strip() for c in el if _is_bpmn(c)}
                owner = el.getparent().get("id")
                if tag == "dataInputAssociation":
                    src, tgt = refs.get("sourceRef"), owner
                else:
                    src, tgt = owner, refs.get("targetRef")
            if src in placed and tgt in placed:
                a, b = placed[src].box, placed[tgt].box
                if a.cy <= b.cy:
                    pts = [(a.cx, a.bottom), (b.cx, b.y)]
                else:
                    pts = [(a.cx, a.y), (b.cx, b.bottom)]
                plane.edges.append(_Edge(el.get("id"), pts))

    def labels(self, plane: _Plane, container):
        lab = _Labeller(plane.shapes, plane.edges)
        named = {}
        for el in container.iter():
            if _is_bpmn(el) and el.get("id") and (el.get("name") or "").strip():
                named[el.get("id")] = el
        for sh in plane.shapes:
            el = named.get(sh.element_id)
            if el is not None and _kind(sh.tag) in ("event", "gateway", "dataObjectReference",
                                                    "dataStoreReference"):
                sh.label = lab.node_label(sh, el.get("name").strip(), sh.tag == "boundaryEvent")
        for e in plane.edges:
            el = named.get(e.element_id)
            if el is not None and local_name(el) == "sequenceFlow":
                e.label = lab.edge_label(e, el.get("name").strip())

    # main diagram -----------------------------------------------------------------------
    def build(self):
        collab = self.root.find(f"{{{BPMN}}}collaboration")
        processes = {p.get("id"): p for p in self.root.findall(f"{{{BPMN}}}process")}
        main = _Plane(collab.get("id") if collab is not None else
                      (next(iter(processes)) if processes else "plane"))
        self.planes.insert(0, main)
        y = ORIGIN_Y
        pools = []
        participants = ([p for p in collab if _is_bpmn(p) and local_name(p) == "participant"]
                        if collab is not None else [])
        if participants:
            for part in participants:
                proc = processes.get(part.get("processRef"))
                y = self.pool(main, part, proc, y) + POOL_GAP
                pools.append(part)
        else:
            for proc in processes.values():
                fl, _s, _e = self.flow_into(main, proc, [None], {}, ORIGIN_X, y)
                self.artifacts(main, proc, ORIGIN_X + MARGIN, fl.bottom + 40)
                y = fl.bottom + POOL_GAP
        if len(pools) > 1:                      # all pools as wide as the widest one
            right = max(sh.box.right for sh in main.shapes if sh.tag == "participant")
            for i, sh in enumerate(main.shapes):
                if sh.tag in ("participant", "lane"):
                    b = sh.box
                    main.shapes[i] = _Shape(sh.element_id, Box(b.x, b.y, right - b.x, b.h), sh.tag,
                                            attrs=sh.attrs)
        if collab is not None:
            self.artifacts(main, collab, ORIGIN_X + MARGIN, y)
            self.message_flows(main, collab)
            self.labels(main, self.root)
        else:
            self.labels(main, self.root)
        # subprocess planes were appended while laying out; their labels are done.
        return self.planes

    def pool(self, plane: _Plane, part, proc, y) -> int:
        x0 = ORIGIN_X
        if proc is None:
            box = Box(x0, y, 600, 100)
            plane.shapes.insert(0, _Shape(part.get("id"), box, "participant", attrs={"isHorizontal": "true"}))
            return box.bottom
        leaves, all_lanes = _lanes_of(proc)
        depth = max((d for _l, d in leaves), default=-1) + 1
        content_left = x0 + POOL_HEADER + depth * LANE_HEADER
        bands = [lane.get("id") for lane, _d in leaves] or [None]
        band_of = _band_map(leaves, all_lanes)
        index_before = len(plane.shapes)
        fl, _shapes, _edges = self.flow_into(plane, proc, bands, band_of, content_left, y, pooled=True)
        pool_box = Box(x0, y, max(fl.right - x0, 600), fl.bottom - y)
        lane_shapes = []
        for lane, d, first, last in all_lanes:
            lx = x0 + POOL_HEADER + d * LANE_HEADER
            ly = fl.band_top[first]
            lh = fl.band_top[last] + fl.band_h[last] - ly
            lane_shapes.append((first, d, _Shape(lane.get("id"), Box(lx, ly, pool_box.right - lx, lh), "lane",
                                                 attrs={"isHorizontal": "true"})))
        lane_shapes.sort(key=lambda t: (t[0], t[1]))
        head = [_Shape(part.get("id"), pool_box, "participant", attrs={"isHorizontal": "true"})]
        head += [s for _f, _d, s in lane_shapes]
        plane.shapes[index_before:index_before] = head
        self.artifacts(plane, proc, content_left + MARGIN, pool_box.bottom + 30)
        return max(pool_box.bottom, max((s.box.bottom for s in plane.shapes), default=pool_box.bottom))

    def message_flows(self, plane: _Plane, collab):
        boxes = {s.element_id: s.box for s in plane.shapes}
        for mf in collab:
            if not (_is_bpmn(mf) and local_name(mf) == "messageFlow"):
                continue
            a, b = boxes.get(mf.get("sourceRef")), boxes.get(mf.get("targetRef"))
            if a is None or b is None:
                continue
            if a.cy <= b.cy:
                p, q = (a.cx, a.bottom), (b.cx, b.y)
            else:
                p, q = (a.cx, a.y), (b.cx, b.bottom)
            mid = (p[1] + q[1]) // 2
            plane.edges.append(_Edge(mf.get("id"), _simplify([p, (p[0], mid), (q[0], mid), q])))


def _bounds(parent, box: Box):
    etree.SubElement(parent, f"{{{DC}}}Bounds", x=str(box.x), y=str(box.y),
                     width=str(box.w), height=str(box.h))


def _write(root, planes: list[_Plane]):
    for i, plane in enumerate(planes):
        suffix = "1" if i == 0 else plane.element_id
        diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"BPMNDiagram_{suffix}")
        pl = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"BPMNPlane_{suffix}",
                              bpmnElement=plane.element_id)
        for sh in plane.shapes:
            el = etree.SubElement(pl, f"{{{BPMNDI}}}BPMNShape", id=f"{sh.element_id}_di",
                                  bpmnElement=sh.element_id)
            for k in sorted(sh.attrs):
                el.set(k, sh.attrs[k])
            _bounds(el, sh.box)
            if sh.label is not None:
                _bounds(etree.SubElement(el, f"{{{BPMNDI}}}BPMNLabel"), sh.label)
        for e in plane.edges:
            el = etree.SubElement(pl, f"{{{BPMNDI}}}BPMNEdge", id=f"{e.element_id}_di",
                                  bpmnElement=e.element_id)
            for x, y in e.points:
                etree.SubElement(el, f"{{{DI}}}waypoint", x=str(x), y=str(y))
            if e.label is not None:
                _bounds(etree.SubElement(el, f"{{{BPMNDI}}}BPMNLabel"), e.label)


def _ensure_namespaces(root):
    wanted = {"bpmndi": BPMNDI, "dc": DC, "di": DI}
    present = set(root.nsmap.values())
    missing = {p: u for p, u in wanted.items() if u not in present and p not in root.nsmap}
    if not missing:
        return root
    nsmap = dict(root.nsmap)
    nsmap.update(missing)
    new_root = etree.Element(root.tag, nsmap=nsmap)
    for k, v in root.attrib.items():
        new_root.set(k, v)
    new_root.text = root.text
    for child in list(root):
        new_root.append(child)
    return new_root


def layout_bpmn(xml: bytes) -> bytes:
    """Return ``xml`` with all diagram interchange replaced by a freshly computed layout."""
    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(xml, parser)
    for diagram in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(diagram)
    root = _ensure_namespaces(root)
    planes = _Builder(root).build()
    _write(root, planes)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, pretty_print=True, encoding="UTF-8")


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------

def _box_of(shape) -> Box | None:
    b = shape.find(f"{{{DC}}}Bounds")
    if b is None:
        return None
    return Box(round(float(b.get("x"))), round(float(b.get("y"))),
               round(float(b.get("width"))), round(float(b.get("height"))))


def check_layout(xml: bytes) -> list[str]:
    """Problems of the diagram interchange of a BPMN document (empty list = fine)."""
    root = etree.fromstring(xml)
    problems: list[str] = []
    semantic = {el.get("id"): el for el in root.iter() if _is_bpmn(el) and el.get("id")}
    flow_nodes = [el for el in semantic.values() if local_name(el) in FLOW_NODES]
    flows = [el for el in semantic.values() if local_name(el) == "sequenceFlow"]

    shapes: dict[str, tuple[str, Box]] = {}
    labels: list[tuple[str, str, Box]] = []
    edges: set = set()
    plane_shapes: dict[str, list[tuple[str, Box]]] = {}
    for plane in root.iter(f"{{{BPMNDI}}}BPMNPlane"):
        pid = plane.get("id")
        plane_shapes[pid] = []
        for sh in plane.iter(f"{{{BPMNDI}}}BPMNShape"):
            box = _box_of(sh)
            if box is None:
                continue
            ref = sh.get("bpmnElement")
            shapes[ref] = (pid, box)
            plane_shapes[pid].append((ref, box))
            lab = sh.find(f"{{{BPMNDI}}}BPMNLabel")
            if lab is not None and _box_of(lab) is not None:
                labels.append((pid, ref, _box_of(lab)))
        for ed in plane.iter(f"{{{BPMNDI}}}BPMNEdge"):
            edges.add(ed.get("bpmnElement"))
            lab = ed.find(f"{{{BPMNDI}}}BPMNLabel")
            if lab is not None and _box_of(lab) is not None:
                labels.append((pid, ed.get("bpmnElement"), _box_of(lab)))

    for el in flow_nodes:
        if el.get("id") not in shapes:
            problems.append(f"flow node {el.get('id')} has no shape")
    for el in flows:
        if el.get("id") not in edges:
            problems.append(f"sequence flow {el.get('id')} has no edge")

    def ancestor_ids(eid):
        el = semantic.get(eid)
        out = set()
        while el is not None:
            el = el.getparent()
            if el is not None and _is_bpmn(el) and el.get("id"):
                out.add(el.get("id"))
        return out

    def exempt(a, b):
        ea, eb = semantic.get(a), semantic.get(b)
        if ea is None or eb is None:
            return True
        ta, tb = local_name(ea), local_name(eb)
        if ta in ("participant", "lane") or tb in ("participant", "lane"):
            return True
        if ea.get("attachedToRef") == b or eb.get("attachedToRef") == a:
            return True
        return a in ancestor_ids(b) or b in ancestor_ids(a)

    for pid, items in plane_shapes.items():
        for i, (a, ba) in enumerate(items):
            for b, bb in items[i + 1:]:
                if ba.overlaps(bb) and not exempt(a, b):
                    problems.append(f"shapes {a} and {b} overlap")
        for owner_pid, ref, lb in labels:
            if owner_pid != pid:
                continue
            for b, bb in items:
                el_b = semantic.get(b)
                if b == ref or el_b is None or local_name(el_b) in ("participant", "lane"):
                    continue
                if lb.overlaps(bb):
                    problems.append(f"label of {ref} overlaps shape {b}")

    for lane in root.iter(f"{{{BPMN}}}lane"):
        lane_shape = shapes.get(lane.get("id"))
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
            nid = (ref.text or "").strip()
            if nid not in shapes:
                continue
            if lane_shape is None:
                problems.append(f"lane {lane.get('id')} has no shape")
                break
            if not lane_shape[1].contains(shapes[nid][1]):
                problems.append(f"shape {nid} lies outside lane {lane.get('id')}")
    return problems
