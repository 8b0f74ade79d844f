//! Where the daemon config is found when none is named: the XDG base
//! directory rules (`$XDG_CONFIG_HOME/faderd/config.yaml`, else
//! `~/.config/faderd/config.yaml`).

use std::path::{Path, PathBuf};

/// Which daemon config a command uses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// Named with `--config`.
    Given(PathBuf),
    /// Found in the user's config folder.
    UserFolder(PathBuf),
    /// None: the built-in defaults.
    Defaults,
}

impl ConfigSource {
    /// `--config` when given, else the user's file when it exists.
    pub fn find(given: Option<&Path>) -> ConfigSource {
        match given {
            Some(p) => ConfigSource::Given(p.to_path_buf()),
            None => match user_config_path() {
                Some(p) if p.is_file() => ConfigSource::UserFolder(p),
                _ => ConfigSource::Defaults,
            },
        }
    }

    /// The file to read, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigSource::Given(p) | ConfigSource::UserFolder(p) => Some(p),
            ConfigSource::Defaults => None,
        }
    }
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::Given(p) => write!(f, "{} (--config)", p.display()),
            ConfigSource::UserFolder(p) => write!(f, "{}", p.display()),
            ConfigSource::Defaults => match user_config_path() {
                Some(p) => write!(
                    f,
                    "none ({} does not exist): built-in defaults",
                    p.display()
                ),
                None => f.write_str("none: built-in defaults"),
            },
        }
    }
}

/// `$XDG_CONFIG_HOME/faderd/config.yaml`, else `$HOME/.config/faderd/config.yaml`
/// (a relative `XDG_CONFIG_HOME` is ignored, as the specification says).
pub fn user_config_path() -> Option<PathBuf> {
    user_folder("XDG_CONFIG_HOME", ".config").map(|d| d.join("faderd").join("config.yaml"))
}

fn user_folder(var: &str, under_home: &str) -> Option<PathBuf> {
    let from_var = std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    from_var.or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|h| h.is_absolute())
            .map(|h| h.join(under_home))
    })
}
