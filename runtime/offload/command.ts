// runtime/offload/command.ts: `sluice kernel ...` for the CLI.
//   kernel up [--cgroup PATH] [--ports 8000,8080] [--all-peers]
//   kernel down
//   kernel status [--json]
//   kernel service add VIP:PORT l4 BACKEND[,BACKEND...] [--pick random|cookie]
//   kernel service add VIP:PORT l7 PROXY_IP:PORT
//   kernel service del VIP:PORT
//   kernel port add|del PORT
// Every command honours SLUICE_BPF_DIR (pin directory) and prints what it did.
import { parseArgs } from 'node:util';
import type { Endpoint } from './codec.ts';
import {
  deleteService, kernelDown, kernelReport, kernelUp, listServices, setHopPort, setService,
} from './control.ts';
import { offloadStatus, invalidateStatus } from './status.ts';

const USAGE = `usage: sluice kernel up [--cgroup PATH] [--ports P1,P2] [--all-peers]
       sluice kernel down
       sluice kernel status [--json]
       sluice kernel service add VIP:PORT l4 IP:PORT[,IP:PORT...] [--pick random|cookie]
       sluice kernel service add VIP:PORT l7 PROXY_IP:PORT
       sluice kernel service del VIP:PORT
       sluice kernel port add|del PORT`;

function endpoint(s: string | undefined): Endpoint {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(s ?? '');
  if (!m) throw new Error(`expected IPv4:PORT, got "${s ?? ''}"`);
  return { address: m[1]!, port: Number(m[2]) };
}

function ports(s: string | undefined): number[] {
  if (!s) return [];
  return s.split(',').map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`bad port "${p}"`);
    return n;
  });
}

export async function kernelCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        cgroup: { type: 'string' },
        ports: { type: 'string' },
        'all-peers': { type: 'boolean' },
        json: { type: 'boolean' },
        pick: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`sluice kernel: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    console.log(USAGE);
    return cmd || values.help ? 0 : 2;
  }
  try {
    switch (cmd) {
      case 'up': {
        const r = kernelUp({ cgroup: values.cgroup, ports: ports(values.ports), localOnly: !values['all-peers'] });
        console.log(`sluice kernel: attached to ${r.cgroup}`);
        for (const l of r.links) console.log(`  link ${l}`);
        const p = ports(values.ports);
        if (p.length) console.log(`  local hop ports: ${p.join(', ')}`);
        return 0;
      }
      case 'down': {
        const removed = kernelDown();
        console.log(removed.length ? `sluice kernel: detached and unpinned ${removed.length} objects` : 'sluice kernel: nothing was up');
        return 0;
      }
      case 'status': {
        invalidateStatus();
        const report = kernelReport();
        const status = offloadStatus();
        if (values.json) {
          console.log(JSON.stringify({ report, status }, null, 2));
          return 0;
        }
        console.log(`pin dir ${report.pinDir}`);
        console.log(report.links.length ? 'attached:' : 'attached: nothing');
        for (const l of report.links) console.log(`  ${l.name}  prog ${l.progId} ${l.progName ?? ''}  cgroup ${l.cgroupId ?? '-'}`);
        console.log('maps:');
        for (const m of report.maps) {
          console.log(`  ${m.name.padEnd(20)} ${m.entries === null ? `unavailable (${m.reason})` : `${m.entries}/${m.maxEntries}`}`);
        }
        console.log(`local hop ports: ${report.ports.join(', ') || 'none'}`);
        for (const s of listServices()) {
          const to = s.service.mode === 2 ? `l7 -> ${s.service.proxy?.address}:${s.service.proxy?.port}`
            : `l4 -> ${s.service.backends.map((b) => `${b.address}:${b.port}`).join(', ')}`;
          console.log(`service ${s.vip.address}:${s.vip.port} ${to}`);
        }
        console.log('counters:');
        for (const [k, v] of Object.entries(report.counters ?? {})) console.log(`  ${k.toLowerCase().padEnd(20)} ${v}`);
        console.log(`hand-off: ${status.splice.available ? `splice(2), ${status.splice.active} active, ${status.splice.started} total` : status.splice.reason}`);
        for (const r of status.reasons) console.log(`unavailable: ${r}`);
        return 0;
      }
      case 'service': {
        const [verb, vip, mode, target] = rest;
        if (verb === 'del') {
          const ok = deleteService(endpoint(vip));
          console.log(ok ? `service ${vip} deleted` : `service ${vip} was not there`);
          return ok ? 0 : 1;
        }
        if (verb !== 'add' || (mode !== 'l4' && mode !== 'l7')) throw new Error(USAGE);
        if (mode === 'l7') setService({ vip: endpoint(vip), mode, proxy: endpoint(target) });
        else {
          setService({
            vip: endpoint(vip), mode, backends: (target ?? '').split(',').map(endpoint),
            pick: values.pick === 'cookie' ? 'cookie' : 'random',
          });
        }
        console.log(`service ${vip} ${mode} -> ${target}`);
        return 0;
      }
      case 'port': {
        const [verb, p] = rest;
        const on = verb === 'add';
        if (!on && verb !== 'del') throw new Error(USAGE);
        const ok = setHopPort(ports(p)[0] ?? 0, on);
        console.log(ok ? `local hop port ${p} ${on ? 'enabled' : 'disabled'}` : 'local hop policy map unavailable (kernel up?)');
        return ok ? 0 : 1;
      }
      default:
        console.error(`sluice kernel: unknown command "${cmd}"\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    const e = err as Error & { code?: string; log?: string };
    console.error(`sluice kernel ${cmd}: ${e.message}`);
    if (e.log) console.error(e.log.trimEnd());
    return 1;
  }
}
