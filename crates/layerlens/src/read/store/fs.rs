//! Opening files below a store without ever leaving it: the store root is opened once
//! (the path the user gave, symlinks in it followed), and every path below it is opened
//! one component at a time with `openat(O_NOFOLLOW)`, so neither a symlink nor `..`
//! can lead out of it. Nothing is opened for writing, nothing is locked.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// What a path below a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

/// Why a path below a store could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The name is absolute, has a `..` component, a NUL byte, or is empty.
    Unsafe(&'static str),
    /// The file (or a directory on the way) does not exist.
    NotFound,
    /// A component on the way, or the file itself, is a symlink (never followed).
    Symlink,
    /// A component on the way is not a directory.
    NotDir,
    /// The file exists but is not a regular file.
    NotRegular(Kind),
    Io(io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Unsafe(why) => write!(f, "unsafe name ({why})"),
            OpenError::NotFound => f.write_str("missing"),
            OpenError::Symlink => f.write_str("a symlink on the way (not followed)"),
            OpenError::NotDir => f.write_str("a component on the way is not a directory"),
            OpenError::NotRegular(k) => write!(f, "not a regular file ({k:?})"),
            OpenError::Io(e) => e.fmt(f),
        }
    }
}

impl OpenError {
    /// As an `io::Error`, keeping the OS error kind where there is one.
    pub(crate) fn into_io(self) -> io::Error {
        match self {
            OpenError::Io(e) => e,
            OpenError::NotFound => io::Error::new(io::ErrorKind::NotFound, "missing"),
            other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
        }
    }
}

/// Split a name from store metadata (or a tar-split entry) into components relative to
/// a directory: `./a//b/./c` gives `[a, b, c]`; absolute names and `..` are refused.
pub(crate) fn split_name(name: &[u8]) -> Result<Vec<&[u8]>, OpenError> {
    if name.first() == Some(&b'/') {
        return Err(OpenError::Unsafe("absolute name"));
    }
    if name.contains(&0) {
        return Err(OpenError::Unsafe("NUL byte in name"));
    }
    let mut parts = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err(OpenError::Unsafe("`..` component")),
            c => parts.push(c),
        }
    }
    Ok(parts)
}

/// Whether `s` can be one path component taken from store metadata (a cache-id, a layer
/// id): non-empty, no `/`, no NUL, not `.` or `..`.
pub(crate) fn is_component(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\0']) && s.len() <= 255
}

#[cfg(unix)]
mod sys {
    use super::{Kind, OpenError};
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;
    use std::fs::File;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

    pub(crate) type Fd = OwnedFd;

    fn kind_of(ft: FileType) -> Kind {
        match ft {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        }
    }

    fn map(e: Errno, dir: BorrowedFd<'_>, name: &[u8]) -> OpenError {
        match e {
            Errno::NOENT => OpenError::NotFound,
            Errno::LOOP => OpenError::Symlink,
            Errno::NOTDIR => {
                // a symlinked directory gives ENOTDIR on some kernels: say which
                match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                        OpenError::Symlink
                    }
                    _ => OpenError::NotDir,
                }
            }
            e => OpenError::Io(e.into()),
        }
    }

    fn openat(dir: BorrowedFd<'_>, name: &[u8], flags: OFlags) -> Result<OwnedFd, OpenError> {
        loop {
            match rustix::fs::openat(
                dir,
                name,
                flags | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(fd) => return Ok(fd),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(map(e, dir, name)),
            }
        }
    }

    pub(crate) fn open_root(path: &std::path::Path) -> std::io::Result<OwnedFd> {
        // The root is the path the user named: symlinks in it are followed.
        Ok(rustix::fs::openat(
            rustix::fs::CWD,
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?)
    }

    pub(crate) fn walk(start: &OwnedFd, parts: &[&[u8]]) -> Result<OwnedFd, OpenError> {
        let mut cur: Option<OwnedFd> = None;
        for part in parts {
            let at = cur.as_ref().unwrap_or(start).as_fd();
            cur = Some(openat(at, part, OFlags::DIRECTORY)?);
        }
        match cur {
            Some(fd) => Ok(fd),
            None => start.try_clone().map_err(OpenError::Io),
        }
    }

    pub(crate) fn open_regular(dir: &OwnedFd, name: &[u8]) -> Result<(File, u64), OpenError> {
        let fd = openat(dir.as_fd(), name, OFlags::NONBLOCK)?;
        let st = rustix::fs::fstat(&fd).map_err(|e| OpenError::Io(e.into()))?;
        let kind = kind_of(FileType::from_raw_mode(st.st_mode));
        if kind != Kind::File {
            return Err(OpenError::NotRegular(kind));
        }
        Ok((File::from(fd), st.st_size as u64))
    }

    pub(crate) fn stat(dir: &OwnedFd, name: &[u8]) -> Result<Option<(Kind, u64)>, OpenError> {
        match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some((
                kind_of(FileType::from_raw_mode(st.st_mode)),
                st.st_size as u64,
            ))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(map(e, dir.as_fd(), name)),
        }
    }

    pub(crate) fn list(dir: &OwnedFd) -> Result<Vec<(String, Kind)>, OpenError> {
        let mut out = Vec::new();
        let rd = rustix::fs::Dir::read_from(dir).map_err(|e| OpenError::Io(e.into()))?;
        for entry in rd {
            let entry = entry.map_err(|e| OpenError::Io(e.into()))?;
            let Ok(name) = entry.file_name().to_str() else {
                continue; // store metadata names are ASCII: anything else is foreign
            };
            if name == "." || name == ".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => stat(dir, name.as_bytes())?.map_or(Kind::Other, |s| s.0),
                ft => kind_of(ft),
            };
            out.push((name.to_string(), kind));
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(not(unix))]
mod sys {
    //! Stores are Linux directories: elsewhere they are not read.
    use super::{Kind, OpenError};
    use std::fs::File;

    pub(crate) type Fd = ();

    fn unsupported() -> OpenError {
        OpenError::Io(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "image stores are only read on Unix",
        ))
    }
    pub(crate) fn open_root(_: &std::path::Path) -> std::io::Result<()> {
        Err(unsupported().into_io())
    }
    pub(crate) fn walk(_: &(), _: &[&[u8]]) -> Result<(), OpenError> {
        Err(unsupported())
    }
    pub(crate) fn open_regular(_: &(), _: &[u8]) -> Result<(File, u64), OpenError> {
        Err(unsupported())
    }
    pub(crate) fn stat(_: &(), _: &[u8]) -> Result<Option<(Kind, u64)>, OpenError> {
        Err(unsupported())
    }
    pub(crate) fn list(_: &()) -> Result<Vec<(String, Kind)>, OpenError> {
        Err(unsupported())
    }
}

/// A store's root directory, open for reading what lies below it.
pub(crate) struct Root {
    path: PathBuf,
    fd: sys::Fd,
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Root").field("path", &self.path).finish()
    }
}

impl Root {
    pub(crate) fn new(path: &Path) -> io::Result<Root> {
        Ok(Root {
            path: path.to_path_buf(),
            fd: sys::open_root(path)?,
        })
    }

    /// The directory at `rel` (`""` is the root itself).
    pub(crate) fn dir(&self, rel: &str) -> Result<Dir, OpenError> {
        let parts = split_name(rel.as_bytes())?;
        Ok(Dir {
            fd: sys::walk(&self.fd, &parts)?,
            last_parent: None,
        })
    }

    /// Open the regular file at `rel`; returns it with its size.
    pub(crate) fn open(&self, rel: &str) -> Result<(File, u64), OpenError> {
        let (parent, name) = self.parent_of(rel)?;
        sys::open_regular(&parent, name)
    }

    /// What `rel` is, and its size; `None` when it does not exist.
    pub(crate) fn stat(&self, rel: &str) -> Result<Option<(Kind, u64)>, OpenError> {
        match self.parent_of(rel) {
            Ok((parent, name)) => sys::stat(&parent, name),
            Err(OpenError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The entries of the directory `rel` (names that are not UTF-8 skipped), sorted;
    /// empty when it does not exist.
    pub(crate) fn list(&self, rel: &str) -> Result<Vec<(String, Kind)>, OpenError> {
        match self.dir(rel) {
            Ok(d) => sys::list(&d.fd),
            Err(OpenError::NotFound) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn parent_of<'n>(&self, rel: &'n str) -> Result<(sys::Fd, &'n [u8]), OpenError> {
        let parts = split_name(rel.as_bytes())?;
        let (name, dirs) = parts.split_last().ok_or(OpenError::Unsafe("empty name"))?;
        Ok((sys::walk(&self.fd, dirs)?, name))
    }
}

/// A directory below a store whose files are opened by relative names (a layer's
/// files, by their tar entry names); the parent directory of the last file opened is
/// kept open for the next one.
pub(crate) struct Dir {
    fd: sys::Fd,
    last_parent: Option<(Vec<u8>, sys::Fd)>,
}

impl Dir {
    /// Open the regular file `name` (tar entry name bytes) below this directory.
    pub(crate) fn open(&mut self, name: &[u8]) -> Result<(File, u64), OpenError> {
        let parts = split_name(name)?;
        let (file, dirs) = parts.split_last().ok_or(OpenError::Unsafe("empty name"))?;
        let key = dirs.join(&b'/');
        if !matches!(&self.last_parent, Some((k, _)) if *k == key) {
            self.last_parent = None;
            self.last_parent = Some((key, sys::walk(&self.fd, dirs)?));
        }
        let (_, parent) = self.last_parent.as_ref().expect("set above");
        sys::open_regular(parent, file)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn names_are_split_safely() {
        assert_eq!(
            split_name(b"./a//b/./c").unwrap(),
            vec![&b"a"[..], b"b", b"c"]
        );
        for bad in [&b"/etc/passwd"[..], b"a/../../x", b"a\0b"] {
            assert!(matches!(split_name(bad), Err(OpenError::Unsafe(_))));
        }
        assert!(is_component("abc") && !is_component("..") && !is_component("a/b"));
    }

    #[test]
    fn symlinks_and_dotdot_never_lead_out() {
        let t = tempfile::tempdir().unwrap();
        let t = t.path();
        std::fs::create_dir_all(t.join("root/dir")).unwrap();
        std::fs::create_dir_all(t.join("outside")).unwrap();
        std::fs::write(t.join("outside/secret"), b"secret").unwrap();
        std::fs::write(t.join("root/dir/ok"), b"ok").unwrap();
        std::os::unix::fs::symlink("../outside", t.join("root/escape")).unwrap();
        std::os::unix::fs::symlink(t.join("outside"), t.join("root/abs")).unwrap();
        std::os::unix::fs::symlink("ok", t.join("root/dir/link")).unwrap();
        let root = Root::new(&t.join("root")).unwrap();
        assert_eq!(root.open("dir/ok").unwrap().1, 2);
        for (rel, want) in [
            ("escape/secret", "Symlink"),
            ("abs/secret", "Symlink"),
            ("dir/link", "Symlink"),
            ("dir/missing", "NotFound"),
            ("dir/ok/x", "NotDir"),
            ("dir", "NotRegular(Dir)"),
            ("../outside/secret", "Unsafe"),
        ] {
            let e = root.open(rel).unwrap_err();
            assert!(format!("{e:?}").starts_with(want), "{rel}: {e:?}");
        }
        let mut d = root.dir("dir").unwrap();
        assert_eq!(d.open(b"ok").unwrap().1, 2);
        assert!(matches!(d.open(b"link"), Err(OpenError::Symlink)));
        assert!(matches!(root.dir("escape"), Err(OpenError::Symlink)));
        assert_eq!(root.stat("escape").unwrap().unwrap().0, Kind::Symlink);
        assert!(root.stat("nope/x").unwrap().is_none());
        let names: Vec<String> = root.list("").unwrap().into_iter().map(|e| e.0).collect();
        assert_eq!(names, ["abs", "dir", "escape"]);
        // the root the user names may itself be a symlink: it is followed
        std::os::unix::fs::symlink(t.join("root"), t.join("rootlink")).unwrap();
        assert!(Root::new(&t.join("rootlink"))
            .unwrap()
            .open("dir/ok")
            .is_ok());
    }
}
