//! Errors a user can cause with a file: each names the file, line and column.

use serde_saphyr::Location;
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// 1-based line; 0 when the place is unknown.
    pub line: u64,
    /// 1-based column; 0 when the place is unknown.
    pub column: u64,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn at(file: &Path, loc: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_path_buf(),
            line: loc.line(),
            column: loc.column(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)
        }
    }
}

/// Why a file could not be read, understood or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file could not be written; whatever was there before is intact.
    #[error("{}: cannot write: {source}", file.display())]
    Write {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file was read but is not valid: one diagnostic per problem.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

impl ConfigError {
    /// The diagnostics, if the file was invalid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ConfigError::Invalid(d) => d,
            _ => &[],
        }
    }

    /// A YAML or type error from the deserializer.
    pub(crate) fn from_yaml(file: &Path, err: &serde_saphyr::Error) -> ConfigError {
        let plain = err.without_snippet().to_string();
        // The plain text ends with " at line L, column C"; the location is
        // reported in front instead.
        let message = match plain.rfind(" at line ") {
            Some(i) if err.location().is_some() => plain[..i].to_owned(),
            _ => plain,
        };
        let d = match err.location() {
            Some(loc) => Diagnostic::at(file, loc, message),
            None => Diagnostic {
                file: file.to_path_buf(),
                line: 0,
                column: 0,
                message,
            },
        };
        ConfigError::Invalid(vec![d])
    }
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
