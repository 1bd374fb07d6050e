import { scriptLocation } from '../engine/script-error.ts';

/** The script's file:line:column that called into the designer (for load-time errors). */
export function callerLocation(): string {
  return scriptLocation(new Error());
}
