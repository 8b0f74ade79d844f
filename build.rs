//! Man pages (faderd(1) and one per subcommand, faderd-run(1) ...) and
//! shell completions (bash, zsh, fish), written from the command line's
//! definition (src/cli.rs) into `$OUT_DIR/man` and `$OUT_DIR/completions`
//! at every build, so they never disagree with the binary. `dist/package`
//! copies them into the Debian package.

use clap::CommandFactory;
use std::net::SocketAddr;
use std::path::PathBuf;

include!("src/cli.rs");

/// The `--osc` parser's stand-in: page and completions need only its type.
fn host_port(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| format!("{text} is not HOST:PORT"))
}

/// The `--web` parser's stand-in, likewise.
fn web_arg(text: &str) -> Result<WebArg, String> {
    if text == "off" {
        return Ok(WebArg::Off);
    }
    host_port(text).map(WebArg::At)
}

fn main() -> std::io::Result<()> {
    println!("cargo::rerun-if-changed=src/cli.rs");
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let cmd = Cli::command();
    let man = out.join("man");
    std::fs::create_dir_all(&man)?;
    clap_mangen::generate_to(cmd.clone(), &man)?;
    let completions = out.join("completions");
    std::fs::create_dir_all(&completions)?;
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        clap_complete::generate_to(shell, &mut cmd.clone(), "faderd", &completions)?;
    }
    // The binary and its tests find them here.
    println!("cargo::rustc-env=FADERD_GENERATED={}", out.display());
    Ok(())
}
