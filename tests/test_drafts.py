"""Draft files on disk: hostile names never touch anything, saves are atomic, recovery never crashes."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from studio.core import diskio, drafts
from studio.core import recovery as recovery_module
from studio.core.diskio import ProcessId
from studio.core.drafts import DiskStamp, DraftConflict, DraftError, DraftStore
from studio.core.instances import Instances
from studio.core.recovery import RecoveryStore


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two levels deep, so that even a buggy '../..' lands inside tmp_path where we can see it; HOME
    inside tmp_path, so that even a buggy '~' expansion does too."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = tmp_path / "a" / "b" / "drafts"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def store(root: Path) -> DraftStore:
    return DraftStore(root)


def tree(top: Path) -> dict[str, tuple[object, ...]]:
    """Everything under `top`, without following links or opening pipes."""
    seen: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(top):
        for entry in dirs + files:
            path = Path(folder) / entry
            st = os.lstat(path)
            body = (
                path.read_bytes()
                if stat.S_ISREG(st.st_mode)
                else os.readlink(path)
                if stat.S_ISLNK(st.st_mode)
                else None
            )
            seen[str(path.relative_to(top))] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, body)
    return seen


def probe(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _escape_file(root: Path) -> None:
    outside = root.parents[2] / "outside.md"
    outside.write_text("secret\n")
    (root / "escape.md").symlink_to(outside)


def _escape_dir(root: Path) -> None:
    outside = root.parents[2] / "outside_dir"
    outside.mkdir()
    (outside / "x.md").write_text("outside\n")
    (root / "link").symlink_to(outside, target_is_directory=True)


def _link_to_script(root: Path) -> None:
    (root / "script.sh").write_text("echo hi\n")
    (root / "alias.md").symlink_to(root / "script.sh")


def _link_to_hidden(root: Path) -> None:
    (root / ".env").write_text("KEY=1\n")
    (root / "env.md").symlink_to(".env")


def _escape_to_sibling(root: Path) -> None:
    """'drafts-old' starts with the same characters as 'drafts': a string-prefix check would let it in."""
    sibling = root.parent / (root.name + "-old")
    sibling.mkdir()
    (sibling / "x.md").write_text("sibling\n")
    (root / "sib.md").symlink_to(sibling / "x.md")


def _link_loop(root: Path) -> None:
    (root / "loop.md").symlink_to("loop.md")


HOSTILE: list[tuple[str, Callable[[Path], object] | None]] = [
    ("../x.md", None),
    ("../../etc/passwd", None),
    ("../../../x.md", None),
    ("/etc/passwd", None),
    ("/tmp/x.md", None),
    ("~/x.md", None),
    ("~", None),
    ("a/../../x.md", None),
    ("..\\x.md", None),
    ("x\x00.md", None),
    ("x\n.md", None),
    ("x\x1b[31m.md", None),
    (".env", None),
    (".git/config", None),
    ("notes/.hidden.md", None),
    ("./x.md", None),
    ("CON.md", None),
    ("nul", None),
    ("com1.txt", None),
    ("Lpt9.md", None),
    ("notes/aux.md", None),
    ("-rf.md", None),
    ("notes/-rf.md", None),
    ("x.sh", None),
    ("x.MD.exe", None),
    ("x.md.", None),
    ("x.md ", None),
    ("notes./x.md", None),
    ("", None),
    ("   ", None),
    ("notes//x.md", None),
    ("notes/", None),
    ("C:/x.md", None),
    ("a" * 300 + ".md", None),
    ("é" * 127 + ".md", None),
    ("d/" * 600 + "x.md", None),
    ("escape.md", _escape_file),
    ("link/x.md", _escape_dir),
    ("pipe.md", lambda r: os.mkfifo(r / "pipe.md")),
    ("dir.md", lambda r: (r / "dir.md").mkdir()),
    ("alias.md", _link_to_script),
    ("env.md", _link_to_hidden),
    ("loop.md", _link_loop),
    ("sib.md", _escape_to_sibling),
    ("file.md/x.md", lambda r: (r / "file.md").write_text("a file, not a folder")),
]


@pytest.mark.parametrize(("name", "setup"), HOSTILE, ids=[repr(n)[:40] for n, _ in HOSTILE])
def test_hostile_names_are_refused_and_touch_nothing(
    name: str, setup: Callable[[Path], object] | None, store: DraftStore, root: Path, tmp_path: Path
) -> None:
    if setup is not None:
        setup(root)
    before = tree(tmp_path)
    elsewhere = [Path("/tmp/x.md"), Path("/x.md")]
    outside_before = [probe(p) for p in elsewhere]

    with pytest.raises(DraftError) as refused:
        store.resolve(name)
    assert str(refused.value).strip()
    with pytest.raises(DraftError):
        store.read(name)
    with pytest.raises(DraftError):
        store.stamp(name)
    if name != "/etc/passwd":  # a broken store must not be able to clobber the real one in a test run
        with pytest.raises(DraftError):
            store.save(name, "pwned\n")
        with pytest.raises(DraftError):
            store.save(name, "pwned\n", overwrite_changed=True, expected=DiskStamp(0, 0, ""))

    assert tree(tmp_path) == before
    assert [probe(p) for p in elsewhere] == outside_before


def test_refusals_say_why(store: DraftStore, root: Path) -> None:
    (root / "dir.md").mkdir()
    cases = {
        "../x.md": "stay inside",
        "/etc/passwd": "absolute",
        "dir.md": "is a folder",
        "é" * 127 + ".md": "255 bytes",
        "x" * 1100: "1024 characters",
        ".env": "hidden",
        "CON.md": "Windows",
        "x.sh": ".sh",
        "": "needs a name",
        "x\x00.md": "control",
        "..\\x.md": "backslash",
        "-rf.md": "'-'",
        "x.md.": "dot",
    }
    for name, words in cases.items():
        with pytest.raises(DraftError) as refused:
            store.resolve(name)
        assert words in str(refused.value), (name, str(refused.value))


def test_escape_through_symlink_leaves_the_outside_file_alone(store: DraftStore, root: Path) -> None:
    _escape_file(root)
    outside = root.parents[2] / "outside.md"
    with pytest.raises(DraftError, match="outside the drafts folder"):
        store.save("escape.md", "overwritten")
    assert outside.read_text() == "secret\n"
    assert (root / "escape.md").is_symlink()


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("launch", "launch.md"),
        ("notes/ch1.md", "notes/ch1.md"),
        ("essay.txt", "essay.txt"),
        ("café.md", "café.md"),
        ("Long Title.markdown", "Long Title.markdown"),
        ("v1.2", "v1.2.md"),
        ("README.MD", "README.MD"),
        ("deep/er/still/x", "deep/er/still/x.md"),
        ("con tent.md", "con tent.md"),
    ],
)
def test_good_names_are_saved_where_expected(name: str, canonical: str, tmp_path: Path) -> None:
    root = tmp_path / "not-yet"  # created on the first save
    store = DraftStore(root)
    assert store.normalise(name) == canonical
    assert store.resolve(name) == (root.resolve() / canonical)
    saved = store.save(name, "hello world")
    assert saved.name == canonical
    assert saved.path == root.resolve() / canonical
    assert (root / canonical).read_text(encoding="utf-8") == "hello world"
    assert store.read(canonical)[0] == "hello world"


def test_symlink_inside_the_folder_writes_through_to_its_target(store: DraftStore, root: Path) -> None:
    (root / "real.md").write_text("old")
    (root / "alias.md").symlink_to("real.md")
    saved = store.save("alias.md", "new")
    assert saved.path == root.resolve() / "real.md"
    assert (root / "alias.md").is_symlink()
    assert (root / "real.md").read_text() == "new"


def test_round_trip_is_exact(store: DraftStore, root: Path) -> None:
    text = "Première ligne\r\nsecond  line\n\ttabs — em dash 🙂\r\n\ufeffend"
    saved = store.save("launch", text)
    assert (root / "launch.md").read_bytes() == text.encode("utf-8")
    read, stamp = store.read("launch.md")
    assert read == text
    st = os.stat(root / "launch.md")
    assert stamp == saved.stamp == store.stamp("launch") == DiskStamp.of(st, text.encode())
    assert saved.words == 10  # "—" and "🙂" count: a word is any run of non-space
    assert saved.bytes == len(text.encode("utf-8")) == st.st_size
    assert store.stamp("missing.md") is None


def test_read_refuses_missing_binary_and_oversized(store: DraftStore, root: Path) -> None:
    with pytest.raises(DraftError, match="no draft called"):
        store.read("missing")
    (root / "latin1.md").write_bytes("café".encode("latin-1"))
    with pytest.raises(DraftError, match="not UTF-8"):
        store.read("latin1.md")
    (root / "zeros.md").write_bytes(b"a\x00b")
    with pytest.raises(DraftError, match="binary"):
        store.read("zeros.md")
    (root / "big.md").write_bytes(b"x" * 11)
    with pytest.raises(DraftError, match="over the limit of 10 bytes"):
        DraftStore(root, max_bytes=10).read("big.md")


def test_max_bytes_counts_utf8_bytes_not_characters(root: Path) -> None:
    store = DraftStore(root, max_bytes=10)
    with pytest.raises(DraftError, match=r"12 bytes, over the limit of 10 bytes \(setting max_draft_bytes\)"):
        store.save("big.md", "é" * 6)
    assert not (root / "big.md").exists()
    assert store.save("fits.md", "é" * 5).bytes == 10


def _no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_crash_before_rename_keeps_the_old_file(
    store: DraftStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save("launch.md", "old version\n")

    def crash(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(drafts.os, "replace", crash)
    with pytest.raises(DraftError, match="previous version is untouched"):
        store.save("launch.md", "new version that never lands\n")
    with pytest.raises(DraftError, match="nothing was written"):
        store.save("fresh.md", "text")
    monkeypatch.undo()
    assert (root / "launch.md").read_text() == "old version\n"
    assert not (root / "fresh.md").exists()
    assert _no_temp_files(root)
    assert sorted(p.name for p in root.iterdir()) == ["launch.md"]


def test_disk_full_keeps_the_old_file(store: DraftStore, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("launch.md", "old version\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(drafts.os, "fsync", full)
    with pytest.raises(DraftError, match="disk is full") as refused:
        store.save("launch.md", "x" * 5000)
    monkeypatch.undo()
    assert str(refused.value) == (
        "The disk is full: launch.md was not saved; the previous version is untouched."
    )
    assert (root / "launch.md").read_text() == "old version\n"
    assert _no_temp_files(root)


def test_interrupt_mid_save_removes_the_temp_file(
    store: DraftStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save("launch.md", "old")

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(drafts.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.save("launch.md", "new")
    monkeypatch.undo()
    assert (root / "launch.md").read_text() == "old"
    assert _no_temp_files(root)


def test_directory_fsync_refusal_is_not_a_failure(
    store: DraftStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def picky(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(drafts.os, "fsync", picky)
    assert store.save("launch.md", "fine").bytes == 4


def test_read_only_folder_is_explained(store: DraftStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(diskio.tempfile, "mkstemp", refuse)
    with pytest.raises(DraftError, match="read-only"):
        store.save("launch.md", "text")


def test_conflict_when_the_file_changed_on_disk(store: DraftStore, root: Path) -> None:
    first = store.save("launch.md", "mine\n")
    (root / "launch.md").write_text("someone else's longer version\n")
    os.utime(root / "launch.md", ns=(first.stamp.mtime_ns + 5_000_000_000,) * 2)

    with pytest.raises(DraftConflict, match="changed on disk since it was opened") as conflict:
        store.save("launch.md", "mine, edited\n", expected=first.stamp)
    assert conflict.value.current == store.stamp("launch.md")
    assert (root / "launch.md").read_text() == "someone else's longer version\n"

    forced = store.save("launch.md", "mine, edited\n", expected=first.stamp, overwrite_changed=True)
    assert (root / "launch.md").read_text() == "mine, edited\n"
    assert store.save("launch.md", "again\n", expected=forced.stamp).words == 1

    (root / "launch.md").unlink()
    with pytest.raises(DraftConflict, match="deleted"):
        store.save("launch.md", "gone?\n", expected=forced.stamp)


def test_same_size_change_is_caught_by_mtime(store: DraftStore, root: Path) -> None:
    first = store.save("launch.md", "aaaa")
    (root / "launch.md").write_text("bbbb")
    os.utime(root / "launch.md", ns=(first.stamp.mtime_ns + 1_000,) * 2)
    with pytest.raises(DraftConflict):
        store.save("launch.md", "cccc", expected=first.stamp)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_permissions_survive_an_overwrite(mode: int, store: DraftStore, root: Path) -> None:
    store.save("launch.md", "one")
    os.chmod(root / "launch.md", mode)
    store.save("launch.md", "two")
    assert stat.S_IMODE(os.stat(root / "launch.md").st_mode) == mode


def test_new_files_are_0644_under_the_umask(store: DraftStore, root: Path) -> None:
    old = os.umask(0o027)
    try:
        if diskio.umask() != 0o027:
            pytest.skip("no /proc/self/status umask on this platform")
        store.save("new.md", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(root / "new.md").st_mode) == 0o640


def test_list_newest_first_and_only_drafts(store: DraftStore, root: Path) -> None:
    outside = root.parents[2] / "outside.md"
    outside.write_text("secret")
    files = {
        "a.md": 100,
        "b.txt": 300,
        "notes/c.markdown": 200,
        "notes/deep/d.md": 400,
        "script.sh": 500,
        ".hidden.md": 600,
        ".git/x.md": 700,
        "notes/.obsidian/y.md": 800,
        "CON.md": 900,
        "noext": 950,
    }
    for name, when in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
        os.utime(root / name, (when, when))
    (root / "out.md").symlink_to(outside)
    (root / "in.md").symlink_to("a.md")
    (root / "outdir").symlink_to(outside.parent, target_is_directory=True)
    os.mkfifo(root / "pipe.md")
    (root / "folder.md").mkdir()

    listed = store.list()
    assert [f.name for f in listed] == ["notes/deep/d.md", "b.txt", "notes/c.markdown", "a.md", "in.md"]
    assert listed[1].size == len("b.txt") and listed[1].modified == 300


def test_list_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert DraftStore(tmp_path / "nowhere").list() == []


@pytest.fixture
def recovery(tmp_path: Path) -> RecoveryStore:
    state = tmp_path / "xdg_state_home" / "studio"
    return RecoveryStore(state / "recovery", Instances(state / "instances"))


def test_recovery_round_trip(recovery: RecoveryStore, root: Path) -> None:
    assert recovery.pending(drafts_root=root) == []  # folder not created yet
    before = time.time()
    recovery.write("launch.md", "unsaved\r\ntext é", drafts_root=root)
    [found] = recovery.pending(drafts_root=root)
    assert (found.name, found.text) == ("launch.md", "unsaved\r\ntext é")
    assert before <= found.saved_at <= time.time()
    snapshot = recovery.folder / f"{found.key}.json"
    assert stat.S_IMODE(os.stat(snapshot).st_mode) == 0o600
    record = json.loads(snapshot.read_text(encoding="utf-8"))
    assert record["version"] == 1 and record["drafts_root"] == str(root.resolve())

    recovery.write("launch.md", "newer", drafts_root=root)
    assert [r.text for r in recovery.pending(drafts_root=root)] == ["newer"]
    recovery.clear("launch.md", drafts_root=root)
    assert recovery.pending(drafts_root=root) == []
    recovery.clear("launch.md", drafts_root=root)  # clearing twice is fine
    assert list(recovery.folder.iterdir()) == []


def test_recovery_is_per_drafts_folder_and_untitled_works(
    recovery: RecoveryStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([1000.0, 2000.0, 3000.0])
    monkeypatch.setattr(recovery_module, "time", SimpleNamespace(time=lambda: next(clock)))
    other = tmp_path / "other"
    recovery.write(None, "untitled text", drafts_root=root)
    recovery.write("launch.md", "titled", drafts_root=root)
    recovery.write("launch.md", "elsewhere", drafts_root=other)
    monkeypatch.undo()

    mine = recovery.pending(drafts_root=root)
    assert [(r.name, r.text, r.saved_at) for r in mine] == [
        ("launch.md", "titled", 2000.0),
        (None, "untitled text", 1000.0),
    ]
    assert [r.text for r in recovery.pending(drafts_root=other)] == ["elsewhere"]
    recovery.discard(mine[1].key)
    assert [r.name for r in recovery.pending(drafts_root=root)] == ["launch.md"]
    recovery.clear(None, drafts_root=root)  # already gone


def test_recovery_skips_corrupt_files(recovery: RecoveryStore, root: Path) -> None:
    recovery.write("good.md", "kept", drafts_root=root)
    good = {"version": 1, "drafts_root": str(root.resolve()), "name": "x.md", "text": "t", "saved_at": 1.0}
    bad = {
        "0000000000000001": b"{not json",
        "0000000000000002": b"[1, 2]",
        "0000000000000003": b"\xff\xfe garbage",
        "0000000000000004": json.dumps({**good, "version": 2}).encode(),
        "0000000000000005": json.dumps({**good, "text": 5}).encode(),
        "0000000000000006": json.dumps({**good, "saved_at": "yesterday"}).encode(),
        "0000000000000007": json.dumps({k: v for k, v in good.items() if k != "name"}).encode(),
        "0000000000000008": b"",
        "not-a-key": json.dumps(good).encode(),
    }
    for key, body in bad.items():
        (recovery.folder / f"{key}.json").write_bytes(body)
    (recovery.folder / "0000000000000009.json").mkdir()
    assert [r.text for r in recovery.pending(drafts_root=root)] == ["kept"]


def test_recovery_keys_cannot_reach_outside(recovery: RecoveryStore, tmp_path: Path) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text("{}")
    for key in ["../victim", "../../victim", "", "ABCDEF0123456789", "0123456789abcdef0"]:
        with pytest.raises(DraftError):
            recovery.discard(key)
    assert victim.exists()


@pytest.mark.parametrize(
    "char",
    [
        "\u202e",
        "\u200b",
        "\u2066",
        "\ufeff",
        "\u00ad",
        "\ue000",
        "\U000f0000",
        "\ud800",
        "\u0378",
        "\u00a0",
        "\u3000",
        "\u2009",
    ],
)
def test_invisible_or_disguising_characters_in_names_are_refused_by_code(
    char: str, store: DraftStore, root: Path
) -> None:
    """A right-to-left override makes 'report\u202edm.txt' read as 'reporttxt.md'; a no-break space
    or zero-width space makes two names look the same. Refused, naming the character by its code."""
    name = f"report{char}dm.txt"
    with pytest.raises(DraftError) as refused:
        store.save(name, "x")
    assert f"U+{ord(char):04X}" in str(refused.value)
    assert char not in str(refused.value)  # the message itself shows nothing invisible
    assert list(root.iterdir()) == []
    assert store.normalise("my notes.md") == "my notes.md"  # the plain space stays fine


def test_a_change_keeping_size_and_mtime_is_caught_by_content(store: DraftStore, root: Path) -> None:
    first = store.save("launch.md", "aaaa")
    (root / "launch.md").write_text("bbbb")
    os.utime(root / "launch.md", ns=(first.stamp.mtime_ns,) * 2)  # as rsync -t or a restore does
    st = os.stat(root / "launch.md")
    assert (st.st_mtime_ns, st.st_size) == (first.stamp.mtime_ns, first.stamp.size)
    with pytest.raises(DraftConflict, match="changed on disk"):
        store.save("launch.md", "cccc", expected=first.stamp)
    assert (root / "launch.md").read_text() == "bbbb"
    assert store.save("launch.md", "dddd", expected=store.read("launch.md")[1]).bytes == 4


def _dead_process() -> ProcessId:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return ProcessId(child.pid, 1)


def test_stale_temp_files_of_dead_studios_are_removed_and_nothing_else(store: DraftStore, root: Path) -> None:
    me, dead = ProcessId.current(), _dead_process()
    reused = ProcessId(me.pid, me.start + 1)  # our pid, but another process's start time
    (root / "sub").mkdir()
    stale = [
        root / f".studio-{dead.tag}-abcdefgh.tmp",
        root / "sub" / f".studio-{dead.tag}-12345678.tmp",
        root / f".studio-{reused.tag}-zzzzzzzz.tmp",
    ]
    kept = [
        root / f".studio-{me.tag}-abcdefgh.tmp",  # a live studio mid-save
        root / ".abcdefgh.tmp",
        root / ".studio-notes.tmp",
        root / "notes.md",
        root / f"studio-{dead.tag}-abcdefgh.tmp",
        root / f".studio-{dead.tag}-abcdefgh.tmp.bak",
    ]
    for path in stale + kept:
        path.write_text("half a draft")
    outside = root.parent / "outside.txt"
    outside.write_text("not studio's")
    link = root / f".studio-{dead.tag}-linklink.tmp"
    link.symlink_to(outside)
    assert store.remove_stale_temps() == 3
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in kept) and link.is_symlink() and outside.exists()


def test_process_identity_survives_pid_reuse() -> None:
    me = ProcessId.current()
    assert me.alive() and me.start > 0  # this machine has /proc
    assert not ProcessId(me.pid, me.start + 1).alive()
    assert not _dead_process().alive()


def test_recovery_copies_belong_to_one_running_studio(tmp_path: Path, root: Path) -> None:
    state = tmp_path / "state"
    first, second = Instances(state / "instances"), Instances(state / "instances")
    mine, theirs = RecoveryStore(state / "recovery", first), RecoveryStore(state / "recovery", second)
    first.register(root, "shared.md")
    second.register(root, "shared.md")
    mine.write("shared.md", "first's unsaved words", drafts_root=root)
    theirs.write("shared.md", "second's unsaved words", drafts_root=root)
    mine.clear("shared.md", drafts_root=root)  # the first one saved with Ctrl+S
    assert mine.pending(drafts_root=root) == []  # the second is running: its copy is its own

    second.release()  # it stops (a crash leaves its registration, but its process is gone)
    third = RecoveryStore(state / "recovery", Instances(state / "instances"))
    assert [r.text for r in third.pending(drafts_root=root)] == ["second's unsaved words"]
    assert [o.pid for o in Instances(state / "instances").others_with(root, "shared.md")] == [os.getpid()]
