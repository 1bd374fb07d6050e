// Plug-in, last in the chain: whatever nobody handled gets 404.
import { pipeline, Message } from 'sluice';
import type { PluginContext } from './context.ts';

export default pipeline<PluginContext>(($) => $.replaceMessage(new Message({ status: 404 }, 'No handler\n')));
