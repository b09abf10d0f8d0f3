//! CIDR functions: `parseCidr`, `cidrSubnet`, `cidrHost` (IPv4).
//!
//! IPv6 ranges are accepted by Azure but not evaluated here: the result is
//! unknown rather than guessed.

use super::args::{int_arg, str_arg};
use super::Call;
use aml_model::value::{Object, Value};
use std::net::Ipv4Addr;

/// A parsed IPv4 range, or `None` for an IPv6 one.
fn parse(text: &str) -> Result<Option<(u32, u32)>, String> {
    let (addr, prefix) = text
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("'{text}' is not in CIDR notation (address/prefix)"))?;
    if addr.contains(':') {
        return Ok(None);
    }
    let ip: Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("'{addr}' is not an IPv4 address"))?;
    let prefix: u32 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| format!("'{prefix}' is not a prefix length between 0 and 32"))?;
    Ok(Some((u32::from(ip) & mask(prefix), prefix)))
}

fn mask(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32 - prefix).unwrap_or(0)
}

fn ip(v: u32) -> Value {
    Value::String(Ipv4Addr::from(v).to_string())
}

fn ipv6_unknown(call: &Call<'_>) -> Value {
    call.unknown("IPv6 ranges are not evaluated")
}

/// `parseCidr(range)`: network, netmask, broadcast, firstUsable, lastUsable, cidr.
pub(crate) fn parse_cidr(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let Some((network, prefix)) = parse(str_arg(&args[0], 0)?)? else {
        return Ok(ipv6_unknown(call));
    };
    let broadcast = network | !mask(prefix);
    let (first, last) = if prefix >= 31 {
        (network, broadcast)
    } else {
        (network + 1, broadcast - 1)
    };
    let mut out = Object::default();
    out.insert("network".into(), ip(network));
    out.insert("netmask".into(), ip(mask(prefix)));
    out.insert("broadcast".into(), ip(broadcast));
    out.insert("firstUsable".into(), ip(first));
    out.insert("lastUsable".into(), ip(last));
    out.insert("cidr".into(), Value::Int(i64::from(prefix)));
    Ok(Value::Object(out))
}

/// `cidrSubnet(range, newPrefix, index)`: the index-th subnet of that size.
pub(crate) fn cidr_subnet(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let Some((network, prefix)) = parse(str_arg(&args[0], 0)?)? else {
        return Ok(ipv6_unknown(call));
    };
    let new_prefix = int_arg(&args[1], 1)?;
    let new_prefix = u32::try_from(new_prefix)
        .ok()
        .filter(|p| (prefix..=32).contains(p))
        .ok_or_else(|| {
            format!("the new prefix length {new_prefix} must be between {prefix} and 32")
        })?;
    let index = int_arg(&args[2], 2)?;
    let count = 1u64 << (new_prefix - prefix);
    let index = u64::try_from(index)
        .ok()
        .filter(|i| *i < count)
        .ok_or_else(|| {
            format!(
                "the subnet index {index} must be between 0 and {}",
                count - 1
            )
        })?;
    let start = u64::from(network) + (index << (32 - new_prefix));
    let start =
        u32::try_from(start).map_err(|_| "the subnet is outside the IPv4 range".to_string())?;
    Ok(Value::String(format!(
        "{}/{new_prefix}",
        Ipv4Addr::from(start)
    )))
}

/// `cidrHost(range, index)`: the index-th usable host address.
pub(crate) fn cidr_host(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let Some((network, prefix)) = parse(str_arg(&args[0], 0)?)? else {
        return Ok(ipv6_unknown(call));
    };
    let index = int_arg(&args[1], 1)?;
    let size = 1u64 << (32 - prefix);
    let (first, usable) = if prefix >= 31 {
        (0, size)
    } else {
        (1, size - 2)
    };
    let index = u64::try_from(index)
        .ok()
        .filter(|i| *i < usable)
        .ok_or_else(|| {
            format!(
                "the host index {index} must be between 0 and {}",
                usable.saturating_sub(1)
            )
        })?;
    let host = u64::from(network) + first + index;
    let host = u32::try_from(host).map_err(|_| "the host is outside the IPv4 range".to_string())?;
    Ok(ip(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, json};

    #[test]
    fn parse_cidr() {
        assert_eq!(
            eval("[parseCidr('10.144.3.7/20')]"),
            json(serde_json::json!({
                "network": "10.144.0.0",
                "netmask": "255.255.240.0",
                "broadcast": "10.144.15.255",
                "firstUsable": "10.144.0.1",
                "lastUsable": "10.144.15.254",
                "cidr": 20
            }))
        );
        assert_eq!(
            eval("[parseCidr('0.0.0.0/0').netmask]"),
            Value::str("0.0.0.0")
        );
        assert_eq!(
            eval("[parseCidr('10.0.0.5/32').firstUsable]"),
            Value::str("10.0.0.5")
        );
        assert!(eval_err("[parseCidr('10.0.0.0/33')]")
            .message
            .contains("prefix"));
        assert!(eval_err("[parseCidr('10.0.0.0')]").message.contains("CIDR"));
        assert!(eval_err("[parseCidr('10.0.0.300/8')]")
            .message
            .contains("IPv4"));
        assert!(eval("[parseCidr('fdad:3236:5555::/48')]").is_unknown());
    }

    #[test]
    fn subnets_and_hosts() {
        assert_eq!(
            eval("[cidrSubnet('10.144.0.0/20', 24, 0)]"),
            Value::str("10.144.0.0/24")
        );
        assert_eq!(
            eval("[cidrSubnet('10.144.0.0/20', 24, 15)]"),
            Value::str("10.144.15.0/24")
        );
        assert_eq!(
            eval("[cidrSubnet('0.0.0.0/0', 32, 4294967295)]"),
            Value::str("255.255.255.255/32")
        );
        assert!(eval_err("[cidrSubnet('10.144.0.0/20', 24, 16)]")
            .message
            .contains("between 0 and 15"));
        assert!(eval_err("[cidrSubnet('10.144.0.0/20', 16, 0)]")
            .message
            .contains("between 20 and 32"));
        assert_eq!(
            eval("[cidrHost('10.144.0.0/20', 0)]"),
            Value::str("10.144.0.1")
        );
        assert_eq!(
            eval("[cidrHost('10.144.0.0/20', 4093)]"),
            Value::str("10.144.15.254")
        );
        assert!(eval_err("[cidrHost('10.144.0.0/20', 4094)]")
            .message
            .contains("between 0 and 4093"));
        assert!(eval_err("[cidrHost('10.144.0.0/20', -1)]")
            .message
            .contains("host index"));
        assert_eq!(eval("[cidrHost('10.0.0.0/32', 0)]"), Value::str("10.0.0.0"));
    }
}
