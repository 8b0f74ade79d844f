//! HOST:PORT texts (`--osc`, `osc.listen`, `osc.clients`, `faderd learn
//! --osc`): an IP address with its port, or a host name that resolves
//! (`localhost:8000`).

use std::net::{SocketAddr, ToSocketAddrs};

/// Why a text is not a socket address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not of the form HOST:PORT with a port from 0 to 65535.
    #[error("'{0}' is not HOST:PORT (e.g. 127.0.0.1:8000 or localhost:8000)")]
    NotHostPort(String),
    /// The host name did not resolve to any address.
    #[error("the host in '{text}' does not resolve: {reason}")]
    Unresolved {
        /// The text as given.
        text: String,
        /// What the resolver said.
        reason: String,
    },
}

/// `text` as a socket address: IP:PORT (`[::1]:8000` for IPv6) as it is,
/// HOST:PORT through the system's resolver. Of a name's addresses the
/// first IPv4 one is taken (a daemon and its clients on one machine then
/// meet on 127.0.0.1 whichever of them used the name), else the first.
pub fn socket_addr(text: &str) -> Result<SocketAddr, AddressError> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let not_host_port = || AddressError::NotHostPort(text.to_owned());
    let (host, port) = text.rsplit_once(':').ok_or_else(not_host_port)?;
    let port: u16 = port.parse().map_err(|_| not_host_port())?;
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(not_host_port());
    }
    let unresolved = |reason: String| AddressError::Unresolved {
        text: text.to_owned(),
        reason,
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| unresolved(e.to_string()))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| unresolved("no address".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_host_names_with_a_port_are_accepted() {
        assert_eq!(
            socket_addr("127.0.0.1:8000").unwrap(),
            "127.0.0.1:8000".parse().unwrap()
        );
        assert_eq!(socket_addr("[::1]:9").unwrap(), "[::1]:9".parse().unwrap());
        assert_eq!(
            socket_addr("localhost:8000").unwrap(),
            "127.0.0.1:8000".parse().unwrap()
        );
    }

    #[test]
    fn a_text_without_a_port_is_refused_in_plain_words() {
        for bad in [
            "localhost",
            "localhost:",
            ":8000",
            "localhost:99999",
            "a b:1",
        ] {
            let e = socket_addr(bad).unwrap_err();
            assert_eq!(e, AddressError::NotHostPort(bad.to_owned()));
            assert!(e.to_string().contains("is not HOST:PORT"), "{e}");
        }
    }
}
