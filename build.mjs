// Bundles each program into one file under dist/ with esbuild. The only native piece,
// the `netlink` package's N-API addon, is copied beside the bundles where its loader
// (node-gyp-build, looking in <dir>/prebuilds/<platform>-<arch>/) finds it.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

// netlink's loader looks for the addon relative to its own file (`__dirname + '/..'`); once
// bundled, __dirname is dist/, so point it at dist/ itself.
const netlinkAddonBesideBundle = {
  name: 'netlink-addon-beside-bundle',
  setup(b) {
    b.onLoad({ filter: /netlink[\\/]dist[\\/]raw\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace("__dirname + '/..'", '__dirname'),
      loader: 'js',
    }));
  },
};

// zos-init: the image's fallback init (image/zos-init/). zos-test-checks: the boot tests'
// in-node checks (test/image/node-checks/), put only into the test images (image/build.sh TEST_CHECKS).
const programs = {
  internet: 'internet/main.ts',
  'ovs-plugin': 'ovs-plugin/main.ts',
  'zos-init': 'image/zos-init/main.ts',
  'zos-test-checks': 'test/image/node-checks/main.ts',
};

mkdirSync('dist', { recursive: true });
await Promise.all(
  Object.entries(programs).map(([name, entry]) =>
    build({
      entryPoints: [entry],
      outfile: `dist/${name}.js`,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'linked',
      legalComments: 'none',
      banner: { js: '#!/usr/bin/env node' },
      logLevel: 'warning',
      plugins: [netlinkAddonBesideBundle],
    }),
  ),
);
cpSync('node_modules/netlink/prebuilds', 'dist/prebuilds', { recursive: true });
// The bundles are CommonJS, but the root package.json says "type": "module": without this,
// `node dist/ovs-plugin.js` fails with "require is not defined in ES module scope".
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
