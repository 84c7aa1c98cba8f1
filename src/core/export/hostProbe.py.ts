// The host side of `conoha-ipv6 export`: a python3 program (python3 is there wherever Ansible or cloud-init runs) that
// works out, on the host itself, what `prepare` works out from its snapshot: the uplink and gateway from the default
// route, the addresses (given, recorded in host.conf, or by the ConoHa rule from the uplink's global address), where
// the default route comes from, the firewall mechanisms, the ip6tables FORWARD policy, systemd-networkd's file for
// the uplink; and renders the files prepare writes, from templates made by the engine's own writers (exportTexts.ts).
//   python3 -c CODE facts   -> one JSON object on stdout: {"ok": true, ...} or {"ok": false, "error": "..."}
//   python3 -c CODE write   -> (cloud-init) also writes the files, waiting up to 90 s for a default route first
// Input: the JSON object in $CIV6_IN ({"uplink","gateway","bridge","addresses"}, each optional), and the constants
// in the program's first line (CIV6_CONST = '...', see exportTexts.ts). Every value is checked against the patterns of
// hostContract.ts before it reaches a file; file contents go out base64-encoded, so no host text is ever templated.
export const HOST_PROBE_PY = String.raw`
import base64, ipaddress, json, os, re, subprocess, sys, time

K = json.loads(CIV6_CONST)  # noqa: F821 (the line before this program)
P = K['patterns']

class Refused(Exception):
    pass

def run(*argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout
    except (OSError, subprocess.SubprocessError):
        return 127, ''

def matches(name, value):
    return isinstance(value, str) and '\n' not in value and re.search(P[name], value) is not None

def need(name, value, what):
    if not matches(name, value):
        raise Refused('%s %s is not valid (%s)' % (what, json.dumps(value), P[name]))
    return value

def read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except OSError:
        return None

def canon(text, what='address'):
    # RFC 5952, as ip-address's correctForm and iproute2 print it: lower case, no leading zeros, the longest run
    # (the first of equals) of two or more zero groups as "::"
    try:
        a = ipaddress.IPv6Address(text.strip())
    except ValueError:
        raise Refused('%s %s is not an IPv6 address' % (what, json.dumps(text)))
    g = ['%x' % int(h, 16) for h in a.exploded.split(':')]
    best, blen, start, run_ = -1, 0, -1, 0
    for i, h in enumerate(g):
        if h == '0':
            if run_ == 0:
                start = i
            run_ += 1
            if run_ > blen:
                best, blen = start, run_
        else:
            run_ = 0
    if blen < 2:
        return ':'.join(g)
    return ':'.join(g[:best]) + '::' + ':'.join(g[best + blen:])

def hextets(address):
    return ['%x' % int(h, 16) for h in ipaddress.IPv6Address(address).exploded.split(':')]

def derive(host):
    # derive.ts deriveConohaAddresses: FIRST = hextets 1-4, then a<h5>:<h6>:<h7>:<h8><X> for X in 0..f
    h = hextets(host)
    def misfit(why):
        return Refused('%s does not fit the ConoHa rule (%s): hextets 5 to 8 should spell the host\'s IPv4 address in decimal, '
                       'as in 2400:8500:1301:814:157:7:235:12. Name the extra addresses explicitly: a /124 prefix or a list of addresses '
                       '(host variable conoha_ipv6_addresses).' % (canon(host), why))
    if not re.match(r'^\d{1,3}$', h[4]):
        raise misfit('hextet 5 "%s" is not 1 to 3 decimal digits' % h[4])
    if not re.match(r'^\d{1,3}$', h[7]):
        raise misfit('hextet 8 "%s" is not 1 to 3 decimal digits' % h[7])
    if all(x == '0' for x in h[:4]):
        raise misfit('the /64 prefix is all zeros')
    base = ':'.join(h[:4] + ['a' + h[4], h[5], h[6]])
    addrs = [canon('%s:%s%x' % (base, h[7], x)) for x in range(16)]
    return addrs, addrs[0] + '/124'

def prefix_of(addrs):
    if len(addrs) != 16:
        return None
    n = int(ipaddress.IPv6Address(addrs[0]))
    if n % 16 != 0:
        return None
    for i, a in enumerate(addrs):
        if int(ipaddress.IPv6Address(a)) != n + i:
            return None
    return addrs[0] + '/124'

def parse_addresses(v, what='conoha_ipv6_addresses'):
    # derive.ts parseAddressList: a /124 (its 16 addresses) or a list of addresses
    items = v if isinstance(v, list) else re.split(r'[\s,]+', str(v).strip())
    items = [str(x).strip() for x in items if str(x).strip()]
    if len(items) == 1 and '/' in items[0]:
        a, _, l = items[0].partition('/')
        if l == '128':
            items = [a]
        elif l != '124':
            raise Refused('%s: only a /124 (16 addresses) or single addresses are accepted in %s' % (items[0], what))
        else:
            first = canon(a, 'prefix')
            n = int(ipaddress.IPv6Address(first))
            if n % 16 != 0:
                raise Refused('%s is not aligned to a /124: did you mean %s/124?' % (items[0], canon(str(ipaddress.IPv6Address(n - n % 16)))))
            addrs = [canon(str(ipaddress.IPv6Address(n + x))) for x in range(16)]
            return addrs, first + '/124'
    if not items:
        raise Refused('%s lists no address: give a /124 prefix or a list of IPv6 addresses' % what)
    addrs = [canon(x) for x in items]
    if len(set(addrs)) != len(addrs):
        raise Refused('an address is listed twice in %s' % what)
    if len(addrs) > 256:
        raise Refused('%s lists %d addresses; at most 256 are supported' % (what, len(addrs)))
    for a in addrs:
        need('address', a, 'address')
        if not re.match(r'^[23]', ipaddress.IPv6Address(a).exploded):
            raise Refused('%s cannot be a container\'s address: it is not global unicast (2000::/3)' % a)
    return addrs, prefix_of(addrs)

def ipjson(*args):
    rc, out = run('ip', '-j', *args)
    try:
        return json.loads(out) if rc == 0 and out.strip() else []
    except ValueError:
        return []

def conf_values(text):
    v = {}
    for line in (text or '').split('\n'):
        m = re.match(r'^([A-Z][A-Z0-9_]{0,31})=(.*)$', line)
        if m:
            val = m.group(2)
            if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
                val = val[1:-1]
            v[m.group(1)] = val
    return v

def sysctl(dev, key):
    t = read('/proc/sys/net/ipv6/conf/%s/%s' % (dev, key))
    try:
        return int(t.strip())
    except (AttributeError, ValueError):
        return None

def b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')

def has_rules(save, chain, bridge, allow):
    lines = [l for l in save.split('\n') if l.startswith('-A %s ' % chain) and '-j ACCEPT' in l]
    def has(opts):
        return any(all(re.search(r'(^| )%s %s( |$)' % (re.escape(o), re.escape(v)), l) for o, v in opts) for l in lines)
    return all(has([('-d', n), ('-o', bridge)]) and has([('-s', n), ('-i', bridge)]) for n in allow)

def sysctl_text(uplink, accept_ra):
    # plan.ts sysctlConfText; sysctl.d names eth0.100 as eth0/100
    return K['sysctl']['ra' if accept_ra else 'noRa'].replace(K['sentinel']['uplink'], uplink.replace('.', '/'))

def radvd_own(conf, bridge):
    # radvdConf.ts: the user's own stanza for the bridge, outside our managed block: 'advertises' (prepare then leaves
    # it be and writes no block of ours), 'silent' (a conflict prepare refuses to edit), or None
    out, ours = [], False
    for line in conf.split('\n'):
        t = line.strip()
        if t == K['radvd']['beginPrefix'] or t.startswith(K['radvd']['beginPrefix'] + ' '):
            ours = True
        elif ours and t == K['radvd']['end']:
            ours = False
        elif not ours:
            out.append(line)
    src = re.sub(r'#[^\n]*', '', '\n'.join(out))
    found = None
    for m in re.finditer(r'\binterface\s+([^\s{]+)\s*\{', src):
        depth, i, top = 1, m.end(), ''
        while i < len(src) and depth > 0:
            c = src[i]
            if c == '{':
                depth += 1
            elif c == '}':
                depth -= 1
            elif depth == 1:
                top += c
            i += 1
        if m.group(1) == bridge:
            found = 'advertises' if re.search(r'\bAdvSendAdvert\s+on\s*;', top, re.I) else found or 'silent'
    return found

def render_host_conf(values):
    lines = [K['hostConf']['header']]
    for k in K['hostConf']['keys']:
        v = values.get(k['field'])
        words = v if isinstance(v, list) else ([] if v is None else [v])
        for w in words:
            need(k['pattern'], w, 'host.conf ' + k['key'])
        text = ' '.join(words)
        lines.append('%s=%s' % (k['key'], '"%s"' % text if k['quoted'] else text))
    return '\n'.join(lines) + '\n'

def probe(inp, wait):
    S = K['sentinel']
    routes = ipjson('-6', 'route', 'show', 'default')
    deadline = time.time() + wait
    while not routes and time.time() < deadline:
        time.sleep(1)
        routes = ipjson('-6', 'route', 'show', 'default')
    recorded_text = read(K['paths']['hostConf'])
    rec = conf_values(recorded_text)
    uplink = inp.get('uplink') or (routes[0].get('dev') if routes else None) or rec.get('UPLINK')
    if not uplink:
        raise Refused('this host has no IPv6 default route and no recorded uplink: is IPv6 enabled on it? Set conoha_ipv6_uplink and conoha_ipv6_gateway')
    need('ifname', uplink, 'the uplink')
    if not os.path.exists('/sys/class/net/%s' % uplink):
        raise Refused('interface %s does not exist on this host' % uplink)
    bridge = need('ifname', inp.get('bridge') or rec.get('BRIDGE') or 'docker0', 'the bridge')
    gw = inp.get('gateway') or next((r.get('gateway') for r in routes if r.get('dev') == uplink and r.get('gateway')), None) or rec.get('GATEWAY')
    if not gw:
        raise Refused('there is no IPv6 default route via %s to learn the gateway from: set conoha_ipv6_gateway (on ConoHa the router\'s link-local address)' % uplink)
    gateway = canon(gw, 'gateway')
    gx = ipaddress.IPv6Address(gateway)
    if not (gx.is_link_local or re.match(r'^[23]', gx.exploded)):
        raise Refused('%s cannot be the gateway: give the router\'s link-local address or a global unicast one' % gateway)
    host_address = None
    if inp.get('addresses'):
        addresses, prefix = parse_addresses(inp['addresses'])
        source = 'inventory'
    elif rec.get('ADDRESSES', '').strip():
        addresses, prefix = parse_addresses(rec['ADDRESSES'], K['paths']['hostConf'])
        source = 'recorded'
    else:
        globals_ = [i.get('local') for l in ipjson('-6', 'addr', 'show', 'dev', uplink, 'scope', 'global') for i in l.get('addr_info', [])
                    if i.get('family') == 'inet6' and i.get('local') and re.match(r'^[23]', ipaddress.IPv6Address(i['local']).exploded)]
        if not globals_:
            raise Refused('%s has no global IPv6 address: is IPv6 enabled for this VPS?' % uplink)
        err = None
        addresses = None
        for g in globals_:
            try:
                addresses, prefix = derive(g)
                host_address = canon(g)
                break
            except Refused as e:
                err = err or e
        if addresses is None:
            raise err
        source = 'conoha-rule'
    for a in addresses:
        need('address', a, 'address')
    # where the default route comes from (snapshot.ts routeSource): what host.conf recorded wins
    if rec.get('ROUTE') in ('ra', 'static'):
        route = rec['ROUTE']
    else:
        r = next((x for x in routes if x.get('dev') == uplink), None)
        route = 'ra' if not r or r.get('protocol') == 'ra' else 'static'
    networkd_file = None
    links = ipjson('link', 'show', 'dev', uplink)
    if links:
        st = read('/run/systemd/netif/links/%s' % links[0].get('ifindex'))
        m = re.search(r'^NETWORK_FILE=(.*)$', st or '', re.M)
        if m and m.group(1):
            networkd_file = m.group(1)
    accept_ra = route == 'ra' and not networkd_file
    rc, save = run('ip6tables-save')  # as the snapshot reads it (-t filter would create an empty table)
    save = save if rc == 0 else ''
    m = re.search(r'^:FORWARD (\w+)', save, re.M)
    policy_now = m.group(1) if m else None
    forward_policy = rec.get('FORWARD_POLICY') if rec.get('FORWARD_POLICY') in ('DROP', 'ACCEPT') else policy_now if policy_now in ('DROP', 'ACCEPT') else None
    allow = [prefix] if prefix else [a + '/128' for a in addresses]
    mechanisms, missing = [], []
    if re.search(r'^:DOCKER-USER ', save, re.M):
        mechanisms.append('docker-user')
        if not has_rules(save, 'DOCKER-USER', bridge, allow):
            missing.append('docker-user')
    rc_ufw, ufw = run('ufw', 'status')
    if rc_ufw == 0 and 'Status: active' in ufw and re.search(r'^:ufw6-user-forward ', save, re.M):
        mechanisms.append('ufw')
        if not has_rules(save, 'ufw6-user-forward', bridge, allow):
            missing.append('ufw')
    if not mechanisms and policy_now == 'DROP':
        mechanisms.append('forward')
        if not has_rules(save, 'FORWARD', bridge, allow):
            missing.append('forward')
    files = {}
    files[K['paths']['sysctlConf']] = sysctl_text(uplink, accept_ra)
    files[K['paths']['hostConf']] = render_host_conf({'uplink': uplink, 'bridge': bridge, 'gateway': gateway, 'addresses': addresses, 'route': route,
                                                      'allow': allow, 'firewall': mechanisms, 'forwardPolicy': forward_policy})
    dropin = None
    if networkd_file:
        m = re.match(K['networkd']['fileRe'], networkd_file)
        if m:
            dropin = K['networkd']['dropInPath'].replace(S['networkFile'], m.group(2))
            t = K['networkd']['ra' if route == 'ra' else 'noRa']
            out = []
            for line in t.split('\n'):
                out.extend([line.replace(S['address'], a) for a in addresses] if S['address'] in line else [line])
            files[dropin] = '\n'.join(out)
    stanza = K['radvdStanza'].replace(S['bridge'], bridge)
    own = radvd_own(read(K['paths']['radvdConf']) or '', bridge)
    if own == 'silent':
        raise Refused('/etc/radvd.conf already has a stanza for %s without "AdvSendAdvert on"; add it there (or remove that stanza) and run again' % bridge)
    routes_br = ipjson('-6', 'route', 'show', 'dev', bridge) if os.path.exists('/sys/class/net/%s' % bridge) else []
    routed = set(x.get('dst') for x in routes_br)
    proxied = set(x.get('dst') for x in ipjson('-6', 'neigh', 'show', 'proxy') if x.get('dev') == uplink)
    want = {('all', 'forwarding'): 1, (uplink, 'proxy_ndp'): 1}
    if accept_ra:
        want[(uplink, 'accept_ra')] = 2
    if sysctl(bridge, 'disable_ipv6') == 1:
        want[(bridge, 'disable_ipv6')] = 0
    off = ['%s.%s' % k for k, v in want.items() if sysctl(*k) != v]
    unrouted = [a for a in addresses if a not in routed]
    unproxied = [a for a in addresses if a not in proxied]
    rc_en, enabled = run('systemctl', 'is-enabled', 'radvd')
    radvd_running = False
    for p in os.listdir('/proc'):
        if p.isdigit() and (read('/proc/%s/comm' % p) or '').strip() == 'radvd':
            radvd_running = True
    previous = {
        'recordedAt': time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime()),
        'uplink': uplink,
        'bridge': bridge,
        'sysctl': {'all.forwarding': sysctl('all', 'forwarding'), uplink + '.proxy_ndp': sysctl(uplink, 'proxy_ndp'),
                   uplink + '.accept_ra': sysctl(uplink, 'accept_ra'), bridge + '.disable_ipv6': sysctl(bridge, 'disable_ipv6')},
        'defaultRoutes': [{'dst': 'default', 'gateway': r.get('gateway'), 'dev': r.get('dev'), 'protocol': r.get('protocol'), 'metric': r.get('metric')} for r in routes],
        'radvdConfExisted': os.path.exists(K['paths']['radvdConf']),
        'radvdRunning': radvd_running,
        'radvdEnabled': enabled.strip(),
        'ip6ForwardPolicy': policy_now,
        'radvdInstalled': os.path.exists('/usr/sbin/radvd'),
        'recordedBy': 'conoha-ipv6 export',
    }
    return {
        'ok': True, 'uplink': uplink, 'bridge': bridge, 'gateway': gateway, 'addresses': addresses, 'prefix': prefix, 'source': source,
        'hostAddress': host_address, 'route': route, 'acceptRa': accept_ra, 'networkdFile': networkd_file, 'networkdDropIn': dropin,
        'firewall': mechanisms, 'firewallMissing': missing, 'forwardPolicy': forward_policy,
        'sysctlsOff': off, 'unrouted': unrouted, 'unproxied': unproxied, 'needsSetup': bool(off or unrouted or unproxied),
        'radvdInstalled': os.path.exists('/usr/sbin/radvd'), 'radvdRunning': radvd_running, 'radvdEnabled': enabled.strip(),
        'radvdBlock': b64(stanza), 'radvdOwn': own == 'advertises', 'hasPrevious': os.path.exists(K['paths']['previousJson']),
        'files': dict((k, b64(v)) for k, v in files.items()),
        'previousJson': b64(json.dumps(previous, indent=2) + '\n'),
    }

def write_file(path, text, mode=0o644):
    if read(path) == text:
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.civ6.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True

def write(r):
    # what the Ansible play does with its modules, for a first boot (cloud-init runcmd)
    changed = []
    if not r['hasPrevious'] and write_file(K['paths']['previousJson'], base64.b64decode(r['previousJson']).decode()):
        changed.append(K['paths']['previousJson'])
    for path, content in r['files'].items():
        if write_file(path, base64.b64decode(content).decode()):
            changed.append(path)
    conf = read(K['paths']['radvdConf']) or ''
    block = '%s\n%s%s\n' % (K['radvd']['begin'], base64.b64decode(r['radvdBlock']).decode(), K['radvd']['end'])
    if K['radvd']['begin'] not in conf and not r['radvdOwn']:
        if write_file(K['paths']['radvdConf'], conf + ('' if conf == '' or conf.endswith('\n') else '\n') + block):
            changed.append(K['paths']['radvdConf'])
    return changed

def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'facts'
    try:
        inp = json.loads(os.environ.get('CIV6_IN') or (sys.argv[2] if len(sys.argv) > 2 else '{}'))
        if not isinstance(inp, dict):
            raise Refused('the input is not a JSON object')
        inp = dict((k, v) for k, v in inp.items() if v not in (None, '', []))
        r = probe(inp, 90 if mode == 'write' else 0)
        if mode == 'write':
            r = {'ok': True, 'written': write(r), 'uplink': r['uplink'], 'gateway': r['gateway'], 'addresses': r['addresses'], 'source': r['source']}
    except Refused as e:
        r = {'ok': False, 'error': str(e)}
    print(json.dumps(r))
    if mode == 'write' and not r['ok']:
        sys.stderr.write('conoha-ipv6: ' + r['error'] + '\n')
        sys.exit(1)

main()
`;
