"""The one way siting writes files: a staged output folder that never loses a file it did not write.

Every output (tables, layers, JSON, the report) is written into a private staging folder beside
the target and moved into place only when all of it is complete, so a failed or interrupted run
leaves the previous output as it was. Into the target siting writes a marker,
``.siting-output.json``, listing the files it put there; an existing folder is written into only
when

- it is empty, or
- it holds that marker: then the files the marker lists are replaced, files the new output does
  not hold are removed only if the marker lists them, and anything else in the folder is kept.

It refuses (`siting._errors.OutputFolderError`) a path that is a file or lies under one, the
current folder or one holding it, a folder holding the scenario or one of its input files, a
folder with content siting did not write, and a place it cannot write to.

A new folder appears in one rename. An existing one is updated file by file, each file replaced in
one step; the marker is rewritten first to list the old and the new files and last to list the
new ones, so at any moment it lists every file siting has put there. Ctrl-C is held back for the
few milliseconds the moves take and acted on right after.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from ._errors import OutputFolderError

MARKER = ".siting-output.json"
"""Name of the file, in every output folder, that lists the files siting wrote there."""

Mode = Literal["replace", "add"]
"""``replace``: the new files are the whole output (files only the old marker lists are removed);
``add``: the new files join those already there (the report written into a plan's folder)."""

_SHOWN = 5  # names of foreign entries quoted in a refusal


def _listed(folder: Path) -> set[str] | None:
    """The files the marker in ``folder`` lists (POSIX paths relative to it), None without one."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if data.get("written_by") != "siting" or not isinstance(files, list):
        return None
    return {f for f in files if isinstance(f, str) and _is_relative_name(f)}


def _is_relative_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _stays_inside(folder: Path, name: str) -> bool:
    """Whether the folder holding ``folder / name`` is inside ``folder`` (no link leads out)."""
    real = folder.resolve()
    parent = (folder / name).parent.resolve()
    return parent == real or real in parent.parents


def marker_stamp(folder: str | Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of the marker in ``folder``, None without one: tells
    whether a run replaced the folder's output."""
    try:
        stat = (Path(folder) / MARKER).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _writable_base(target: Path) -> Path:
    """The nearest existing folder at or above ``target``'s parent (where folders get made)."""
    base = target.parent
    while not base.exists() and base != base.parent:
        base = base.parent
    return base


def check_output_folder(target: str | Path, *, protect: Iterable[str | Path] = ()) -> Path:
    """Check that siting may write its output into ``target``; return it as an absolute path.

    Parameters
    ----------
    target
        The output folder (it need not exist).
    protect
        Files that must not end up inside the output folder: the scenario file and its inputs.

    Raises
    ------
    OutputFolderError
        If ``target`` is a file or lies under one, is the current folder or holds it, holds a
        protected file, is a folder with content but without siting's marker, or its parent
        cannot be written to.
    """
    folder = Path(os.path.abspath(target))
    real = folder.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise OutputFolderError(
            folder,
            "不能把当前文件夹(或包含它的文件夹)作为输出文件夹 · "
            "the output folder cannot be the current folder or one that holds it",
            "请指定一个新的子文件夹,例如 -o out/plan · name a new sub-folder, e.g. -o out/plan",
        )
    for item in protect:
        guarded = Path(item).resolve()
        if guarded == real or real in guarded.parents:
            raise OutputFolderError(
                folder,
                f"该文件夹包含场景的输入文件 {guarded.name} · "
                f"the folder holds the scenario's input file {guarded}",
                "输出请写到别处,例如 -o out/plan · write the outputs elsewhere, e.g. -o out/plan",
            )
    if real.exists() and not real.is_dir():
        raise OutputFolderError(
            folder, "这是一个文件,不是文件夹 · this is a file, not a folder",
            "请指定一个文件夹 · name a folder",
        )
    base = _writable_base(folder)
    if not base.is_dir():
        raise OutputFolderError(
            folder, f"路径中的 {base} 是文件 · {base} on the way is a file, not a folder",
            "请指定一个新的文件夹 · name a new folder",
        )
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputFolderError(
            folder, f"没有写入 {base} 的权限 · no permission to write in {base}",
            "请选择可写的位置 · choose a place you can write to",
        )
    if real.is_dir() and _listed(real) is None:
        foreign = sorted(p.name + ("/" if p.is_dir() else "") for p in real.iterdir())
        if foreign:
            shown = ", ".join(foreign[:_SHOWN]) + (" …" if len(foreign) > _SHOWN else "")
            raise OutputFolderError(
                folder,
                f"文件夹中有不是 siting 写入的内容({shown}),siting 不会覆盖或删除它们 · "
                f"the folder holds content siting did not write ({shown}); siting never "
                "overwrites or deletes it",
                "请指定一个新的或空的文件夹 · name a new or empty folder",
            )
    return folder


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C back while files are moved into place; raise it right after."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pressed = threading.Event()
    signal.signal(signal.SIGINT, lambda _signum, _frame: pressed.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pressed.is_set():
        raise KeyboardInterrupt


def _write_marker(folder: Path, files: Iterable[str]) -> None:
    """Write the marker through a temporary file, so it is never seen half-written."""
    data = {
        "written_by": "siting",
        "note": "siting 写入的文件清单;下次写入此文件夹时只替换这些文件 · files siting wrote "
                "here; the next run into this folder replaces only these",
        "files": sorted(set(files)),
    }
    temporary = folder / f"{MARKER}.{secrets.token_hex(4)}"
    with temporary.open("x", encoding="utf-8") as stream:
        json.dump(data, stream, ensure_ascii=False, indent=1)
    os.replace(temporary, folder / MARKER)


class OutputFolder:
    """A staged output folder: write files under `staging` (or with `write`), then `commit`.

    Used as a context manager, the staging folder is removed if the block fails or `commit` was
    not reached. See the module docstring for what it refuses and what it replaces.

    Parameters
    ----------
    target
        The output folder.
    protect
        The scenario's files, which must not lie inside ``target``.
    mode
        ``replace`` or ``add`` (see `Mode`).

    Raises
    ------
    OutputFolderError
        From `check_output_folder`, or when the staging folder cannot be made.
    """

    def __init__(
        self, target: str | Path, *, protect: Iterable[str | Path] = (), mode: Mode = "replace"
    ) -> None:
        self._protect = tuple(protect)
        self.target = check_output_folder(target, protect=self._protect)
        self.mode = mode
        self._made: list[Path] = []  # parent folders made here, removed again if nothing lands
        missing = self.target.parent
        while not missing.exists():
            self._made.append(missing)
            missing = missing.parent
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            # Made like any new folder (the user's umask), as the output folder it becomes.
            self.staging = self.target.parent / f".{self.target.name}.siting-{secrets.token_hex(4)}"
            self.staging.mkdir()
        except OSError as exc:
            self._remove_made()
            raise OutputFolderError(
                self.target, f"无法创建文件夹 · cannot make a folder: {exc.strerror or exc}",
                "请选择可写的位置 · choose a place you can write to",
            ) from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()

    def path(self, name: str) -> Path:
        """Where to write the file ``name`` (a relative POSIX path) in the staging folder."""
        if not _is_relative_name(name):
            msg = f"output file names are relative paths inside the folder, got {name!r}"
            raise ValueError(msg)
        path = self.staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, name: str, content: str | bytes) -> Path:
        """Write ``content`` (text as UTF-8) to the file ``name`` in the staging folder."""
        path = self.path(name)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def staged(self) -> list[str]:
        """The files written so far, as POSIX paths relative to the folder."""
        return sorted(
            p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*") if p.is_file()
        )

    def discard(self) -> None:
        """Remove the staging folder (and parents made for it); the target is left as it was."""
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        self._remove_made()

    def _remove_made(self) -> None:
        for folder in self._made:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty: something else may have landed there

    def commit(self) -> list[Path]:
        """Move the staged files into the target; return their final paths.

        Raises
        ------
        OutputFolderError
            When the target changed since the check and is no longer safe to write into, or a
            new file would overwrite one siting did not write.
        """
        new = self.staged()
        check_output_folder(self.target, protect=self._protect)
        try:
            with _ctrl_c_held():
                if not self.target.exists():
                    _write_marker(self.staging, new)
                    self.staging.rename(self.target)
                    self._made.clear()
                else:
                    self._merge(new)
        except OSError as exc:
            raise OutputFolderError(
                self.target, f"写入失败 · writing failed: {exc}",
                "检查磁盘空间与权限后重试 · check disk space and permissions, then run again",
            ) from exc
        finally:
            self.discard()
        return [self.target / name for name in new]

    def _merge(self, new: list[str]) -> None:
        """Replace the listed files of an existing folder with the staged ones."""
        target = self.target
        old = _listed(target) or set()
        clashes = [
            name for name in new
            if name not in old and any(
                (target / Path(*Path(name).parts[:k])).is_file()
                for k in range(1, len(Path(name).parts) + 1)
            )
        ]
        if clashes:
            raise OutputFolderError(
                target,
                f"会覆盖不是 siting 写入的文件 {', '.join(clashes[:_SHOWN])} · would overwrite "
                f"files siting did not write: {', '.join(clashes[:_SHOWN])}",
                "移走这些文件或换一个输出文件夹 · move them or name another output folder",
            )
        outside = [name for name in sorted(old | set(new)) if not _stays_inside(target, name)]
        if outside:
            raise OutputFolderError(
                target,
                f"{', '.join(outside[:_SHOWN])} 经符号链接指向文件夹之外 · lead out of the folder "
                "through a symbolic link",
                "删除这些链接或换一个输出文件夹 · remove the links or name another output folder",
            )
        _write_marker(target, old | set(new))
        for name in new:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / name, target / name)
        kept = set(new) if self.mode == "replace" else old | set(new)
        for name in sorted(old - kept):
            (target / name).unlink(missing_ok=True)
            for parent in Path(name).parents:
                if parent != Path():
                    with contextlib.suppress(OSError):
                        (target / parent).rmdir()  # only folders left empty
        _write_marker(target, kept)
