// Placeholder until the gateway lands: says so clearly instead of pretending.
export async function prepareGateway(_config: string | undefined): Promise<string> {
  throw new Error('the gateway is not built yet');
}
