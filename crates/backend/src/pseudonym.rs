use crate::keys::PseudonymKey;
use std::net::IpAddr;

/// A stable, non-reversible key for a network address: the first 16 hex
/// digits of HMAC-SHA256(pseudonym key, address). Throttles and the audit
/// trail use it, so neither stores addresses, and without the key (derived
/// from the server's secret) it cannot be matched back to one.
pub fn client_key(key: &PseudonymKey, addr: IpAddr) -> String {
    let addr = match addr {
        // One person usually holds a whole /64: key on the prefix so an
        // IPv6 client cannot dodge a limit by hopping addresses.
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    };
    let mut hash = key.hash(addr.to_string().as_bytes());
    hash.truncate(16);
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keys;

    fn key(secret: &[u8]) -> PseudonymKey {
        Keys::derive(secret).expect("keys").pseudonyms().clone()
    }

    #[test]
    fn keys_are_stable_secret_dependent_and_reveal_no_address() {
        let addr: IpAddr = "203.0.113.7".parse().expect("ip");
        let a = client_key(&key(b"secret-one"), addr);
        assert_eq!(a, client_key(&key(b"secret-one"), addr));
        assert_ne!(a, client_key(&key(b"secret-two"), addr));
        assert_ne!(
            a,
            client_key(&key(b"secret-one"), "203.0.113.8".parse().expect("ip"))
        );
        assert_eq!(a.len(), 16);
        assert!(!a.contains("203"));
    }

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64_prefix() {
        let one: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let two: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        let k = key(b"k");
        assert_eq!(client_key(&k, one), client_key(&k, two));
        assert_ne!(client_key(&k, one), client_key(&k, other));
    }

    #[test]
    fn ipv4_mapped_addresses_match_plain_ipv4() {
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().expect("ip");
        let plain: IpAddr = "203.0.113.7".parse().expect("ip");
        let k = key(b"k");
        assert_eq!(client_key(&k, mapped), client_key(&k, plain));
    }
}
