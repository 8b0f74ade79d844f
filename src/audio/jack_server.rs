//! Which JACK server faderd joins, and the JACK library that reaches it.
//!
//! Two servers speak the JACK API on Linux: jackd, and PipeWire through a
//! libjack of its own, which desktops keep out of the library path (the
//! `pw-jack` wrapper puts it in). faderd looks at the servers' sockets
//! before any libjack is loaded:
//!
//! | running                          | library used                                   |
//! |----------------------------------|------------------------------------------------|
//! | a jackd for the server name      | the system's `libjack.so.0`                    |
//! | else PipeWire                    | PipeWire's `libjack.so.0` from its own folder  |
//! | neither                          | none yet: a server that starts later is joined |
//!
//! PipeWire's library is loaded by its path; the `jack` crate's own load of
//! `libjack.so.0` then finds it by its soname. The choice is made once per
//! process (a loaded library stays): a faderd that joined jackd cannot
//! later join PipeWire without a restart, and says so.
//!
//! Thread: any control thread; never the audio thread (it touches the file
//! system and the dynamic loader).
#![allow(unsafe_code)] // dlopen and dlsym: the loader has no safe interface in std

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The kind of server behind the JACK API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// jackd (JACK 2 or JACK 1).
    Jackd,
    /// PipeWire's JACK implementation.
    PipeWire,
}

impl std::fmt::Display for ServerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ServerKind::Jackd => "jackd",
            ServerKind::PipeWire => "PipeWire",
        })
    }
}

/// The server a client joined: its kind and version, as its library says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// jackd or PipeWire.
    pub kind: ServerKind,
    /// "1.9.21" for jackd, "0.3.65" for PipeWire (its own version, not
    /// the JACK API level its library claims).
    pub version: String,
}

impl std::fmt::Display for ServerInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.version)
    }
}

impl ServerInfo {
    /// Read from a libjack version string: PipeWire's says
    /// "3.0.0.0 (using PipeWire 0.3.65)", jackd's "1.9.21".
    pub fn from_version_string(text: &str) -> ServerInfo {
        match text.split_once("PipeWire ") {
            Some((_, rest)) => ServerInfo {
                kind: ServerKind::PipeWire,
                version: rest.trim_end_matches(')').trim().to_owned(),
            },
            None => ServerInfo {
                kind: ServerKind::Jackd,
                version: text.trim().to_owned(),
            },
        }
    }
}

/// The library this process uses, once chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Library {
    /// Whatever `libjack.so.0` the system's library path gives.
    System,
    /// PipeWire's, loaded from this path.
    PipeWire(PathBuf),
}

static CHOSEN: Mutex<Option<Library>> = Mutex::new(None);

/// Why no library was chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerSearchError {
    /// No socket of either server exists.
    #[error("neither jackd nor PipeWire is running")]
    NoneRunning,
    /// PipeWire's library was found but the loader refused it.
    #[error("PipeWire's JACK library {path} cannot be loaded: {reason}")]
    Load {
        /// The file.
        path: String,
        /// What the loader said.
        reason: String,
    },
}

/// Choose and load the JACK library for `server` (a JACK server name) if
/// none is chosen yet; afterwards a no-op. Call before the first
/// `jack::Client::new`.
pub fn prepare_library(server: &str) -> Result<(), ServerSearchError> {
    let mut chosen = CHOSEN.lock().unwrap_or_else(|p| p.into_inner());
    if chosen.is_some() {
        return Ok(());
    }
    let library = if jackd_socket(server).is_some() {
        Library::System
    } else if pipewire_socket().is_some() {
        match pipewire_library() {
            Some(path) => {
                load(&path)?;
                Library::PipeWire(path)
            }
            // No PipeWire JACK library where its packages put it: the
            // system's may be PipeWire's (installed as the system libjack).
            None => Library::System,
        }
    } else {
        return Err(ServerSearchError::NoneRunning);
    };
    match &library {
        Library::System => tracing::debug!("using the system's JACK library"),
        Library::PipeWire(p) => {
            tracing::debug!("using PipeWire's JACK library {}", p.display());
        }
    }
    *chosen = Some(library);
    Ok(())
}

/// The server kind the chosen library reaches, when a library is chosen
/// and loaded: from its version string (read once; the library stays).
pub fn server_info() -> Option<ServerInfo> {
    static INFO: OnceLock<ServerInfo> = OnceLock::new();
    if let Some(info) = INFO.get() {
        return Some(info.clone());
    }
    CHOSEN.lock().ok()?.as_ref()?;
    let info = read_version()?;
    Some(INFO.get_or_init(|| info).clone())
}

/// The loaded libjack's version string, as a [`ServerInfo`].
fn read_version() -> Option<ServerInfo> {
    let name = c"libjack.so.0";
    // SAFETY: `name` is a valid C string; RTLD_NOLOAD only looks up a
    // library already loaded (by the `jack` crate, or by [`load`]) and
    // loads nothing. The handle is never closed, so the library stays.
    let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
    if handle.is_null() {
        return None;
    }
    let symbol = c"jack_get_version_string";
    // SAFETY: `handle` is a live handle from dlopen and `symbol` a valid C
    // string.
    let f = unsafe { libc::dlsym(handle, symbol.as_ptr()) };
    if f.is_null() {
        return None;
    }
    // SAFETY: jack_get_version_string is declared in <jack/jack.h> as
    // `const char *jack_get_version_string(void)`; both libjacks return a
    // static NUL-terminated string.
    let text = unsafe {
        let get: extern "C" fn() -> *const libc::c_char = std::mem::transmute(f);
        let p = get();
        if p.is_null() {
            return None;
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    };
    Some(ServerInfo::from_version_string(&text))
}

/// When the loaded library reaches a server that is not running while the
/// other one is: the case only a restart of faderd fixes (a loaded library
/// stays). `None` while no library is loaded.
pub fn library_mismatch(server: &str) -> Option<&'static str> {
    match server_info()?.kind {
        ServerKind::Jackd if jackd_socket(server).is_none() && pipewire_socket().is_some() => Some(
            "PipeWire runs now, but this faderd loaded jackd's JACK library: restart faderd to join PipeWire",
        ),
        ServerKind::PipeWire if jackd_socket(server).is_some() && pipewire_socket().is_none() => {
            Some(
                "jackd runs now, but this faderd loaded PipeWire's JACK library: restart faderd to join jackd",
            )
        }
        _ => None,
    }
}

fn load(path: &Path) -> Result<(), ServerSearchError> {
    let failed = |reason: String| ServerSearchError::Load {
        path: path.display().to_string(),
        reason,
    };
    let c = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| failed("the path holds a NUL byte".into()))?;
    // SAFETY: `c` is a valid C string naming a shared library; its
    // initialisers are PipeWire's libjack's own, run once. The handle is
    // deliberately never closed: the `jack` crate keeps using the library
    // for the life of the process.
    let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns the last loader error of this thread as
        // a NUL-terminated string, or null.
        let reason = unsafe {
            let e = libc::dlerror();
            if e.is_null() {
                "unknown error".to_owned()
            } else {
                CStr::from_ptr(e).to_string_lossy().into_owned()
            }
        };
        return Err(failed(reason));
    }
    Ok(())
}

/// The user's id (sockets are named after it).
fn uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The socket of a jackd named `server`, when it exists: JACK 2 puts it in
/// /dev/shm as `jack_<server>_<uid>_0`, JACK 1 in a folder per user.
pub fn jackd_socket(server: &str) -> Option<PathBuf> {
    let uid = uid();
    let tmp =
        std::env::var_os("JACK_TMP_DIR").map_or_else(|| PathBuf::from("/dev/shm"), PathBuf::from);
    [
        tmp.join(format!("jack_{server}_{uid}_0")),
        PathBuf::from(format!("/dev/shm/jack-{uid}/{server}/jack_0")),
        PathBuf::from(format!("/tmp/jack-{uid}/{server}/jack_0")),
    ]
    .into_iter()
    .find(|p| p.exists())
}

/// PipeWire's socket, when it exists: `$PIPEWIRE_REMOTE` (default
/// "pipewire-0") in `$PIPEWIRE_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR`.
pub fn pipewire_socket() -> Option<PathBuf> {
    let name = std::env::var_os("PIPEWIRE_REMOTE").unwrap_or_else(|| "pipewire-0".into());
    let name = Path::new(&name);
    if name.is_absolute() {
        return name.exists().then(|| name.to_path_buf());
    }
    ["PIPEWIRE_RUNTIME_DIR", "XDG_RUNTIME_DIR"]
        .into_iter()
        .filter_map(std::env::var_os)
        .map(|dir| Path::new(&dir).join(name))
        .find(|p| p.exists())
}

/// Where distributions install PipeWire's libjack (Debian and Ubuntu in the
/// multiarch folder, Fedora in lib64, Arch in lib).
pub fn pipewire_library() -> Option<PathBuf> {
    let multiarch = match std::env::consts::ARCH {
        "x86_64" => "x86_64-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "arm" => "arm-linux-gnueabihf",
        "riscv64" => "riscv64-linux-gnu",
        "powerpc64" => "powerpc64le-linux-gnu",
        _ => "",
    };
    [
        format!("/usr/lib/{multiarch}/pipewire-0.3/jack/libjack.so.0"),
        "/usr/lib64/pipewire-0.3/jack/libjack.so.0".to_owned(),
        "/usr/lib/pipewire-0.3/jack/libjack.so.0".to_owned(),
        "/usr/local/lib/pipewire-0.3/jack/libjack.so.0".to_owned(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_strings_name_the_server() {
        assert_eq!(
            ServerInfo::from_version_string("3.0.0.0 (using PipeWire 0.3.65)"),
            ServerInfo {
                kind: ServerKind::PipeWire,
                version: "0.3.65".into()
            }
        );
        let j = ServerInfo::from_version_string("1.9.21");
        assert_eq!((j.kind, j.version.as_str()), (ServerKind::Jackd, "1.9.21"));
        assert_eq!(j.to_string(), "jackd 1.9.21");
    }
}
