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

/** The URL a `sluice` specifier stands for, or null. */
export function ownURL(specifier: string): string | null {
  if (specifier === 'sluice') return apiURL;
  if (specifier === 'sluice/modules') return modulesURL;
  return null;
}
