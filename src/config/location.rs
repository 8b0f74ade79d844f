//! Where files are found when none is named, by the XDG base directory
//! rules: the daemon config (`$XDG_CONFIG_HOME/faderd/config.yaml`, else
//! `~/.config/faderd/config.yaml`), and surface profiles and maps by name
//! (`$XDG_DATA_HOME/faderd/...`, then each of `$XDG_DATA_DIRS`, by default
//! `/usr/local/share` and `/usr/share`, where a package installs them).

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

    /// The config it names, or the defaults.
    pub fn load(&self) -> Result<super::DaemonConfig, super::ConfigError> {
        match self.path() {
            Some(p) => super::load_daemon_config(p),
            None => Ok(super::DaemonConfig::default()),
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

/// faderd's folder for the user's own data: `$XDG_DATA_HOME/faderd`, else
/// `~/.local/share/faderd` (the session `faderd run` keeps when no session
/// file is named lives there).
pub fn user_data_folder() -> Option<PathBuf> {
    user_folder("XDG_DATA_HOME", ".local/share").map(|d| d.join("faderd"))
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

/// `relative` (e.g. `surfaces/mackie/x-touch.yaml`) in the first faderd
/// data folder that has it: `$XDG_DATA_HOME/faderd` (`~/.local/share/faderd`),
/// then `DIR/faderd` for each DIR of `$XDG_DATA_DIRS` (default
/// `/usr/local/share:/usr/share`).
pub fn data_file(relative: &Path) -> Option<PathBuf> {
    let user = user_folder("XDG_DATA_HOME", ".local/share");
    let system: Vec<PathBuf> = match std::env::var_os("XDG_DATA_DIRS") {
        Some(dirs) if !dirs.is_empty() => std::env::split_paths(&dirs)
            .filter(|p| p.is_absolute())
            .collect(),
        _ => vec!["/usr/local/share".into(), "/usr/share".into()],
    };
    user.into_iter()
        .chain(system)
        .map(|d| d.join("faderd").join(relative))
        .find(|p| p.is_file())
}
