import { describe, expect, it } from "vitest";
import { EgressConfigError, EgressPolicy, parseAllowRule } from "@bifrost/engine/egress/egress-policy.js";
import { EgressResolver } from "@bifrost/engine/egress/egress-resolver.js";
import { guardedDialer } from "@bifrost/engine/egress/guarded-connector.js";
import { formatIp, parseIp, restrictedReason } from "@bifrost/engine/egress/ip-address.js";
import { startDnsServer } from "./egress-servers.js";

const reason = (ip: string) => restrictedReason(parseIp(ip)!);

describe("address classification", () => {
  it("refuses loopback, link-local, private, CGNAT, multicast, reserved and unspecified IPv4", () => {
    expect(reason("127.0.0.1")).toBe("loopback");
    expect(reason("127.255.0.9")).toBe("loopback");
    expect(reason("169.254.169.254")).toBe("link-local: the cloud metadata service");
    expect(reason("169.254.1.1")).toBe("link-local");
    expect(reason("10.1.2.3")).toBe("private");
    expect(reason("172.16.0.1")).toBe("private");
    expect(reason("172.31.255.255")).toBe("private");
    expect(reason("192.168.1.1")).toBe("private");
    expect(reason("100.64.0.1")).toBe("carrier-grade NAT");
    expect(reason("100.127.255.254")).toBe("carrier-grade NAT");
    expect(reason("0.0.0.0")).toBe("unspecified / this network");
    expect(reason("224.0.0.251")).toBe("multicast");
    expect(reason("255.255.255.255")).toBe("reserved");
    expect(reason("198.18.0.1")).toMatch(/benchmarking/);
  });

  it("lets public IPv4 through, including the neighbours of the refused ranges", () => {
    for (const ip of ["8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0", "169.253.255.255", "11.0.0.0", "126.255.255.255", "128.0.0.0", "223.255.255.255"]) {
      expect(reason(ip), ip).toBeNull();
    }
  });

  it("refuses the IPv6 loopback, unspecified, link-local, unique-local and multicast addresses", () => {
    expect(reason("::1")).toBe("loopback");
    expect(reason("::")).toBe("unspecified");
    expect(reason("fe80::1")).toBe("link-local");
    expect(reason("fe80::1%eth0")).toBe("link-local");
    expect(reason("fd00::5")).toBe("unique local (private)");
    expect(reason("fc00::1")).toBe("unique local (private)");
    expect(reason("fd00:ec2::254")).toBe("unique local: the cloud metadata service");
    expect(reason("ff02::1")).toBe("multicast");
    expect(reason("2606:4700:4700::1111")).toBeNull();
    expect(reason("2a00:1450:4001:80b::200e")).toBeNull();
  });

  it("judges IPv6 forms that embed an IPv4 address by that address", () => {
    expect(reason("::ffff:127.0.0.1")).toBe("loopback, IPv4-mapped");
    expect(reason("::ffff:7f00:1")).toBe("loopback, IPv4-mapped");
    expect(reason("[::ffff:169.254.169.254]")).toBe("link-local: the cloud metadata service, IPv4-mapped");
    expect(reason("::ffff:10.0.0.1")).toBe("private, IPv4-mapped");
    expect(reason("::ffff:0:192.168.0.1")).toBe("private, IPv4-translated");
    expect(reason("64:ff9b::127.0.0.1")).toBe("loopback, NAT64");
    expect(reason("2002:7f00:1::")).toBe("loopback, 6to4");
    expect(reason("::127.0.0.1")).toBe("loopback, IPv4-compatible");
    expect(reason("::ffff:8.8.8.8")).toBeNull();
    expect(reason("64:ff9b::8.8.8.8")).toBeNull();
  });

  it("parses and formats addresses canonically", () => {
    expect(formatIp(parseIp("0:0:0:0:0:0:0:1")!)).toBe("::1");
    expect(formatIp(parseIp("::FFFF:127.0.0.1")!)).toBe("::ffff:7f00:1");
    expect(formatIp(parseIp("2001:db8:0:0:1:0:0:1")!)).toBe("2001:db8::1:0:0:1");
    expect(parseIp("localhost")).toBeNull();
    expect(parseIp("127.1")).toBeNull(); // the URL parser writes this as 127.0.0.1 before it gets here
  });
});

describe("BIFROST_EGRESS_ALLOW", () => {
  it("parses hosts, host:port, wildcards, IP addresses with and without port, and networks", () => {
    const policy = EgressPolicy.parse("psa.internal, api.local:8443 *.corp.example,10.0.0.5, 10.0.0.6:443, [fd00::5]:443, ::1, 192.168.10.0/24, fd00:1::/32");
    expect(policy.rules.map((r) => r.kind)).toEqual(["host", "host", "host", "ip", "ip", "ip", "ip", "cidr", "cidr"]);
    const denial = (host: string, port: number, ip: string) => policy.denial({ host, port }, parseIp(ip)!);
    expect(denial("psa.internal", 1234, "10.9.9.9")).toBeNull();
    expect(denial("PSA.internal.", 80, "10.9.9.9")).toBeNull();
    expect(denial("api.local", 8443, "127.0.0.1")).toBeNull();
    expect(denial("api.local", 8080, "127.0.0.1")).toBe("loopback");
    expect(denial("a.b.corp.example", 80, "10.1.1.1")).toBeNull();
    expect(denial("corp.example", 80, "10.1.1.1")).toBe("private"); // the wildcard names subdomains only
    expect(denial("10.0.0.5", 22, "10.0.0.5")).toBeNull();
    expect(denial("db.internal", 22, "10.0.0.5")).toBeNull(); // an allowed address, whatever name led to it
    expect(denial("10.0.0.6", 443, "10.0.0.6")).toBeNull();
    expect(denial("10.0.0.6", 80, "10.0.0.6")).toBe("private");
    expect(denial("[fd00::5]", 443, "fd00::5")).toBeNull();
    expect(denial("x", 1, "::1")).toBeNull();
    expect(denial("192.168.10.77", 5432, "192.168.10.77")).toBeNull();
    expect(denial("192.168.11.77", 5432, "192.168.11.77")).toBe("private");
    expect(denial("x", 80, "::ffff:192.168.10.1")).toBeNull(); // IPv4 rules cover the mapped form
    expect(denial("x", 80, "fd00:1:2::3")).toBeNull();
    expect(denial("anything", 80, "8.8.8.8")).toBeNull(); // public: always
  });

  it("names the entry that is wrong", () => {
    for (const [entry, message] of [
      ["exa mple", /not a host name/],
      ["host:0", /port must be a number from 1 to 65535/],
      ["host:99999", /port must be a number/],
      ["fd00::5:443:x", /not a host/],
      ["10.0.0.0/33", /not a network/],
      ["[10.0.0.1]:80", /not an IPv6 address in brackets/],
      ["http://x.example:8080/api", /is a URL: list its host or host:port instead \(x\.example:8080\)/],
    ] as const) {
      expect(() => parseAllowRule(entry), entry).toThrow(EgressConfigError);
      expect(() => parseAllowRule(entry), entry).toThrow(message);
    }
  });

  it("defaults to refusing every non-public address", () => {
    const policy = EgressPolicy.parse("");
    expect(policy.rules).toEqual([]);
    expect(policy.denial({ host: "127.0.0.1", port: 80 }, parseIp("127.0.0.1")!)).toBe("loopback");
  });
});

describe("the resolver", () => {
  it("asks the configured DNS servers, returns every A answer, and reports unknown names as ENOTFOUND", async () => {
    const dns = await startDnsServer({ "two.example.com": ["93.184.216.34", "127.0.0.1"] });
    try {
      const resolver = new EgressResolver({ servers: [`127.0.0.1:${dns.port}`], timeoutMs: 2000 });
      expect((await resolver.resolve("two.example.com")).map(formatIp)).toEqual(["93.184.216.34", "127.0.0.1"]);
      await expect(resolver.resolve("nope.example.com")).rejects.toMatchObject({ code: "ENOTFOUND" });
      expect((await resolver.resolve("10.1.2.3")).map(formatIp)).toEqual(["10.1.2.3"]); // a literal is not looked up
      expect(dns.asked).toContain("two.example.com/A");
      expect(dns.asked).not.toContain("10.1.2.3/A");
    } finally {
      await dns.close();
    }
  });
});

describe("the system resolver (the default)", () => {
  it("resolves names through getaddrinfo, and whatever spelling resolves to loopback is refused before connecting", async () => {
    const resolver = new EgressResolver();
    expect((await resolver.resolve("localhost")).map(formatIp).some((ip) => ip === "127.0.0.1" || ip === "::1")).toBe(true);
    const dial = guardedDialer({ policy: EgressPolicy.parse(""), resolver, connectTimeoutMs: 1000 });
    // getaddrinfo reads these old inet_aton spellings as 127.0.0.1; the check is on what it answered.
    for (const host of ["localhost", "0177.0.0.1", "2130706433", "127.1"]) {
      await expect(dial(host, 5432), host).rejects.toMatchObject({ code: "EGRESS_DENIED", message: expect.stringMatching(/is not allowed \(loopback\)/) });
    }
    await expect(dial("[::1]", 5432)).rejects.toThrow("egress to [::1]:5432 is not allowed (loopback); allow it with BIFROST_EGRESS_ALLOW");
  });
});
