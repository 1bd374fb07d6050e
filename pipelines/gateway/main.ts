// The gateway as a pipeline script: `sluice gateway [config]` runs this file. It reads the
// configuration named by SLUICE_GATEWAY_CONFIG (set by prepareGateway; empty = the embedded
// demo), checks it, loads the PipelineModules it names, and declares the listeners. A reload
// (SIGHUP, POST /reload, or a change to the watched config) evaluates this file again: if the
// new configuration is invalid the load throws and the old one keeps serving.

import { statSync } from 'node:fs';
import { pipy, log, importModule, Message, type RequestHead } from '../api/index.ts';
import { loadConfig, parseResources, readYaml, type GatewayModel } from './config.ts';
import { buildGateway } from './build.ts';
import { Checker } from './check.ts';
import type { PipelineModuleExports } from './compile.ts';
import { DEFAULT_CONFIG, DEMO_BACKENDS, DEMO_HELP } from './default-config.ts';

const path = process.env.SLUICE_GATEWAY_CONFIG ?? '';
const model: GatewayModel = path ? loadConfig(path) : parseResources(readYaml(DEFAULT_CONFIG, '<embedded demo>').map((res) => ({ res, file: '<embedded demo>' })), process.cwd(), '<embedded demo>');

const modules = new Map<string, PipelineModuleExports>();
for (const [key, file] of model.modules) {
  const c = new Checker(`PipelineModule ${key}`);
  try {
    statSync(file);
  } catch {
    c.fail('spec.path', `no such file: ${file}`);
  }
  let mod: PipelineModuleExports & { default?: PipelineModuleExports['request'] };
  try {
    // Evaluated again on a reload only if the file changed.
    mod = (await importModule(file)) as typeof mod;
  } catch (err) {
    c.fail('spec.path', `cannot load ${file}: ${(err as Error).message}`);
  }
  const request = mod!.request ?? mod!.default;
  if (typeof request !== 'function' && typeof mod!.response !== 'function') c.fail('spec.path', `${file} exports neither request() (or a default function) nor response()`);
  modules.set(key, { request, response: mod!.response });
}

const built = await buildGateway(model, modules);

if (!path) {
  for (const b of DEMO_BACKENDS) {
    pipy.listen(`127.0.0.1:${b.port}`, ($) =>
      $.serveHTTP((req: Message<RequestHead>) => {
        const body = JSON.stringify({ backend: b.name, method: req.head.method, path: req.head.path, headers: req.head.headers }, null, 2) + '\n';
        return new Message({ status: 200, headers: { 'content-type': 'application/json', 'x-backend': b.name } }, body);
      }),
    );
  }
  // With --threads every worker loads this script; one set of instructions is enough.
  if ((process.env.SLUICE_WORKER_INDEX ?? '0') === '0') log.info(DEMO_HELP);
} else {
  log.info(`gateway config ${path}: ${built.summary.join('; ')}`);
}
