//! Which IP addresses outbound requests may reach: the public internet only.
//!
//! Everything else is refused, with the class that explains why: loopback, private and
//! unique-local networks, link-local, carrier-grade NAT, multicast and broadcast, the
//! unspecified address, documentation and benchmarking ranges, other reserved space, and the
//! cloud metadata services. IPv6 forms that carry an IPv4 address (mapped, compatible,
//! translated, NAT64, 6to4) are judged by the address they carry; Teredo is refused outright,
//! as its client address is obfuscated.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address may not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// `0.0.0.0/8`, `::`: on Linux a connect to them reaches the local host.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`) and deprecated site-local `fec0::/10`.
    Private,
    /// Unique local IPv6, `fc00::/7`.
    UniqueLocal,
    /// Carrier-grade NAT shared space, `100.64.0.0/10`.
    SharedNat,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// A cloud provider's instance metadata service (credentials live there).
    CloudMetadata,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`, `2001:2::/48`.
    Benchmarking,
    /// Other special-purpose space that is not the public internet.
    Reserved,
}

/// An IPv6 form that carries an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Embedding {
    /// `::ffff:a.b.c.d`.
    Ipv4Mapped,
    /// `::a.b.c.d` (deprecated).
    Ipv4Compatible,
    /// `::ffff:0:a.b.c.d` (SIIT).
    Ipv4Translated,
    /// `64:ff9b::a.b.c.d` and the local-use `64:ff9b:1::/48`.
    Nat64,
    /// `2002:AABB:CCDD::/48`.
    SixToFour,
    /// `2001::/32`.
    Teredo,
}

/// An address that may not be reached, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Refusal {
    pub class: AddressClass,
    /// Set when the address is an IPv6 form of a refused IPv4 address (or of reserved space).
    pub via: Option<Embedding>,
}

impl Refusal {
    fn direct(class: AddressClass) -> Self {
        Self { class, via: None }
    }
}

/// Metadata services: AWS, GCP, Azure, Oracle, Alibaba Cloud, Tencent Cloud, Huawei Cloud, ECS
/// task metadata. Most also fall in link-local or shared space, but they get their own,
/// clearer, class.
const METADATA_V4: [Ipv4Addr; 6] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(169, 254, 0, 23),
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(168, 63, 129, 16),
    Ipv4Addr::new(192, 0, 0, 192),
];

/// AWS (`fd00:ec2::254`) and GCP (`fd20:ce::254`) over IPv6.
const METADATA_V6: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
    Ipv6Addr::new(0xfd20, 0xce, 0, 0, 0, 0, 0, 0x254),
];

/// `None` when `ip` is on the public internet; else why it is refused.
pub fn classify(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4).map(Refusal::direct),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    use AddressClass::*;
    if METADATA_V4.contains(&ip) {
        return Some(CloudMetadata);
    }
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        (0, _, _) => Unspecified,
        (127, _, _) => Loopback,
        (10, _, _) | (192, 168, _) => Private,
        (172, 16..=31, _) => Private,
        (100, 64..=127, _) => SharedNat,
        (169, 254, _) => LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Documentation,
        (198, 18..=19, _) => Benchmarking,
        // IETF protocol assignments and the retired 6to4 relay anycast.
        (192, 0, 0) | (192, 88, 99) => Reserved,
        (224..=239, _, _) => Multicast,
        (255, 255, 255) if ip == Ipv4Addr::BROADCAST => Broadcast,
        (240..=255, _, _) => Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Refusal> {
    use AddressClass::*;
    if METADATA_V6.contains(&ip) {
        return Some(Refusal::direct(CloudMetadata));
    }
    if ip.is_unspecified() {
        return Some(Refusal::direct(Unspecified));
    }
    if ip.is_loopback() {
        return Some(Refusal::direct(Loopback));
    }
    if let Some((form, v4, routable)) = embedded_v4(ip) {
        return match classify_v4(v4) {
            Some(class) => Some(Refusal {
                class,
                via: Some(form),
            }),
            None if routable => None,
            None => Some(Refusal {
                class: Reserved,
                via: Some(form),
            }),
        };
    }
    let s = ip.segments();
    let class = match s[0] {
        0x2001 if s[1] == 0 => {
            return Some(Refusal {
                class: Reserved,
                via: Some(Embedding::Teredo),
            });
        }
        0x0064 if s[1] == 0xff9b && s[2] == 1 => {
            return Some(Refusal {
                class: Reserved,
                via: Some(Embedding::Nat64),
            });
        }
        0x2001 if s[1] == 0x0db8 => Documentation,
        0x3fff if s[1] < 0x1000 => Documentation,
        0x2001 if s[1] == 2 && s[2] == 0 => Benchmarking,
        // ORCHID and ORCHIDv2.
        0x2001 if (0x10..=0x2f).contains(&s[1]) => Reserved,
        x if x & 0xfe00 == 0xfc00 => UniqueLocal,
        x if x & 0xffc0 == 0xfe80 => LinkLocal,
        x if x & 0xffc0 == 0xfec0 => Private,
        x if x & 0xff00 == 0xff00 => Multicast,
        // Only 2000::/3 is allocated global unicast; the rest is reserved.
        x if x & 0xe000 == 0x2000 => return None,
        _ => Reserved,
    };
    Some(Refusal::direct(class))
}

/// The IPv4 address an IPv6 address carries, with its form and whether a public IPv4 address
/// in that form is reachable on the internet (mapped, NAT64 and 6to4 are; the others are not).
fn embedded_v4(ip: Ipv6Addr) -> Option<(Embedding, Ipv4Addr, bool)> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    let v4 = low(s[6], s[7]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some((Embedding::Ipv4Mapped, v4, true)),
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some((Embedding::Ipv4Translated, v4, false)),
        [0, 0, 0, 0, 0, 0, _, _] => Some((Embedding::Ipv4Compatible, v4, false)),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some((Embedding::Nat64, v4, true)),
        [0x2002, hi, lo, ..] => Some((Embedding::SixToFour, low(hi, lo), true)),
        _ => None,
    }
}

impl AddressClass {
    /// Classes no allowlist entry can open: nothing legitimate listens there.
    pub fn never_allowed(self) -> bool {
        matches!(
            self,
            Self::CloudMetadata | Self::Unspecified | Self::Multicast | Self::Broadcast
        )
    }

    /// A short name in `lang` (`en`, else zh-CN).
    pub fn describe(self, lang: &str) -> &'static str {
        let (zh, en) = match self {
            Self::Unspecified => ("未指定地址", "the unspecified address"),
            Self::Loopback => ("本机回环地址", "a loopback address"),
            Self::Private => ("内网地址", "a private network address"),
            Self::UniqueLocal => ("IPv6 内网地址", "a unique-local IPv6 address"),
            Self::SharedNat => ("运营商级 NAT 地址", "a carrier-grade NAT address"),
            Self::LinkLocal => ("链路本地地址", "a link-local address"),
            Self::CloudMetadata => ("云服务器元数据地址", "a cloud metadata service"),
            Self::Multicast => ("组播地址", "a multicast address"),
            Self::Broadcast => ("广播地址", "the broadcast address"),
            Self::Documentation => ("文档示例地址", "a documentation address"),
            Self::Benchmarking => ("基准测试地址", "a benchmarking address"),
            Self::Reserved => ("保留地址", "reserved address space"),
        };
        if lang == "en" { en } else { zh }
    }
}

impl Embedding {
    /// A short name in `lang` (`en`, else zh-CN).
    pub fn describe(self, lang: &str) -> &'static str {
        let (zh, en) = match self {
            Self::Ipv4Mapped => ("IPv4 映射的 IPv6 地址", "IPv4-mapped IPv6"),
            Self::Ipv4Compatible => ("IPv4 兼容的 IPv6 地址", "IPv4-compatible IPv6"),
            Self::Ipv4Translated => ("IPv4 转换的 IPv6 地址", "IPv4-translated IPv6"),
            Self::Nat64 => ("NAT64 地址", "NAT64"),
            Self::SixToFour => ("6to4 地址", "6to4"),
            Self::Teredo => ("Teredo 隧道地址", "Teredo"),
        };
        if lang == "en" { en } else { zh }
    }
}
