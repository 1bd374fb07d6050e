// `sluice gateway [config]`: the gateway is a pipeline script (pipelines/gateway/main.ts)
// configured by a YAML file or folder; without one it serves its embedded demo config.

import { prepareGateway } from '../../pipelines/gateway/entry.ts';

/** Returns the script to run for the gateway, after checking its configuration. */
export async function gatewayScript(args: string[]): Promise<string> {
  if (args.length > 1) throw new Error(`sluice gateway takes at most one config path, got: ${args.join(' ')}`);
  return prepareGateway(args[0]);
}
