// Where this installation's pieces are, as file URLs: user scripts import the API from here
// whatever folder they live in.

/** This build (dist/, or another build folder). */
export const distRoot = new URL('../../', import.meta.url).href;
/** The folder holding the build (the package root). */
export const packageRoot = new URL('../', distRoot).href;
/** `import ... from 'sluice'`. */
export const apiURL = new URL('pipelines/api/index.js', distRoot).href;
/** `import ... from 'sluice/modules'`. */
export const modulesURL = new URL('pipelines/modules/index.js', distRoot).href;

/** What each `sluice` specifier stands for. */
export const ownSpecifiers: Readonly<Record<string, string>> = { sluice: apiURL, 'sluice/modules': modulesURL };

/** The URL a `sluice` specifier stands for, or null. */
export function ownURL(specifier: string): string | null {
  return Object.hasOwn(ownSpecifiers, specifier) ? ownSpecifiers[specifier]! : null;
}
