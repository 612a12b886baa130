import { isIP } from "node:net";

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/**
 * Parses an IPv4 or IPv6 literal (brackets and a zone id such as `%eth0` are dropped).
 * Null when `text` is not one: only the canonical dotted IPv4 form is an address here,
 * since the URL parser has already turned `0x7f.1` or `2130706433` into `127.0.0.1`.
 */
export function parseIp(text: string): IpAddress | null {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const kind = isIP(s);
  if (kind === 4) return { family: 4, bytes: Uint8Array.from(s.split(".").map(Number)) };
  if (kind !== 6) return null;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes its two hex groups.
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const [a, b, c, d] = tail.split(".").map(Number) as [number, number, number, number];
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const gap = s.indexOf("::");
  const head = groupsOf(gap >= 0 ? s.slice(0, gap) : s);
  const rest = gap >= 0 ? groupsOf(s.slice(gap + 2)) : [];
  const groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = (g >> 8) & 0xff;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

/** The canonical text of an address (IPv6 compressed, lower case). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [...ip.bytes].join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  // Longest run of zero groups (at least two) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** A network: an address and a prefix length. */
export interface Cidr {
  ip: IpAddress;
  prefix: number;
}

/** Parses `10.0.0.0/8` or `fd00::/8`; null when it is not one. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const ip = parseIp(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bits)) return null;
  const prefix = Number(bits);
  if (prefix > (ip.family === 4 ? 32 : 128)) return null;
  return { ip, prefix };
}

export function inCidr(ip: IpAddress, cidr: Cidr): boolean {
  if (ip.family !== cidr.ip.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip.bytes[i]! & mask) !== (cidr.ip.bytes[i]! & mask)) return false;
  }
  return true;
}

const cidr = (text: string): Cidr => parseCidr(text)!;

/** IPv4 ranges a workflow may not reach unless allowed, with the reason shown in the error. */
const V4_DENIED: [Cidr, string][] = [
  [cidr("0.0.0.0/8"), "unspecified / this network"],
  [cidr("10.0.0.0/8"), "private"],
  [cidr("100.64.0.0/10"), "carrier-grade NAT"],
  [cidr("127.0.0.0/8"), "loopback"],
  [cidr("169.254.169.254/32"), "link-local: the cloud metadata service"],
  [cidr("169.254.0.0/16"), "link-local"],
  [cidr("172.16.0.0/12"), "private"],
  [cidr("192.0.0.0/24"), "reserved (IETF protocol assignments)"],
  [cidr("192.0.2.0/24"), "reserved (documentation)"],
  [cidr("192.88.99.0/24"), "reserved (6to4 relay)"],
  [cidr("192.168.0.0/16"), "private"],
  [cidr("198.18.0.0/15"), "reserved (benchmarking)"],
  [cidr("198.51.100.0/24"), "reserved (documentation)"],
  [cidr("203.0.113.0/24"), "reserved (documentation)"],
  [cidr("224.0.0.0/4"), "multicast"],
  [cidr("240.0.0.0/4"), "reserved"], // includes the broadcast address 255.255.255.255
];

/** IPv6 ranges refused outright (the forms that embed an IPv4 address are judged by it). */
const V6_DENIED: [Cidr, string][] = [
  [cidr("::/128"), "unspecified"],
  [cidr("::1/128"), "loopback"],
  [cidr("64:ff9b:1::/48"), "private (local NAT64)"],
  [cidr("100::/64"), "reserved (discard)"],
  [cidr("2001::/32"), "reserved (Teredo)"],
  [cidr("2001:db8::/32"), "reserved (documentation)"],
  [cidr("fd00:ec2::254/128"), "unique local: the cloud metadata service"],
  [cidr("fc00::/7"), "unique local (private)"],
  [cidr("fe80::/10"), "link-local"],
  [cidr("fec0::/10"), "site-local (private)"],
  [cidr("ff00::/8"), "multicast"],
];

/** IPv6 forms that carry an IPv4 address: the IPv4 address decides. [range, name, offset of the IPv4 bytes] */
const V6_EMBEDDING: [Cidr, string, number][] = [
  [cidr("::ffff:0:0/96"), "IPv4-mapped", 12],
  [cidr("::ffff:0:0:0/96"), "IPv4-translated", 12],
  [cidr("64:ff9b::/96"), "NAT64", 12],
  [cidr("2002::/16"), "6to4", 2],
  [cidr("::/96"), "IPv4-compatible", 12],
];

/**
 * Why a workflow may not reach `ip` unless an operator allows it (loopback, link-local,
 * private, …), or null for an ordinary public address. IPv6 forms that embed an IPv4
 * address (mapped, translated, NAT64, 6to4, compatible) are judged by that address.
 */
export function restrictedReason(ip: IpAddress): string | null {
  if (ip.family === 4) {
    for (const [range, reason] of V4_DENIED) if (inCidr(ip, range)) return reason;
    return null;
  }
  for (const [range, reason] of V6_DENIED) if (inCidr(ip, range)) return reason;
  for (const [range, name, offset] of V6_EMBEDDING) {
    if (!inCidr(ip, range)) continue;
    const inner = restrictedReason({ family: 4, bytes: ip.bytes.slice(offset, offset + 4) });
    return inner ? `${inner}, ${name}` : null;
  }
  return null;
}

/** The IPv4 address an IPv4-mapped IPv6 address stands for (`::ffff:1.2.3.4` → 1.2.3.4), else the address itself. */
export function unmapped(ip: IpAddress): IpAddress {
  if (ip.family === 6 && inCidr(ip, V6_EMBEDDING[0]![0])) return { family: 4, bytes: ip.bytes.slice(12) };
  return ip;
}
