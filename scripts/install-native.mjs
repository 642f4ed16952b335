// npm "install" hook: builds the native Legendre kernel (binding.gyp → build/Release/
// cmbflow_legendre.node) with node-gyp and never fails the install, since the WebAssembly kernel
// serves wherever the addon cannot build (no compiler, another CPU). Plain JavaScript: it runs
// before the TypeScript build. Headers come from npm's `nodedir` when set, else from the running
// Node's own prefix (<prefix>/include/node, as Debian and the official tarballs install them), so
// node-gyp never downloads anything.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const args = ["rebuild"];
const prefix = dirname(dirname(process.execPath));
const configured = process.env.npm_config_nodedir;
if (!configured) {
  if (!existsSync(join(prefix, "include", "node", "node_api.h"))) {
    process.stderr.write(
      `cmbflow: no Node headers at ${join(prefix, "include", "node")} and no npm nodedir set; the native ` +
        "Legendre kernel is not built (the WebAssembly kernel will be used).\n",
    );
    process.exit(0);
  }
  args.push(`--nodedir=${prefix}`);
}
// npm puts its bundled node-gyp on PATH for lifecycle scripts and names it in npm_config_node_gyp.
const gyp = process.env.npm_config_node_gyp;
const run = gyp ? spawnSync(process.execPath, [gyp, ...args], { stdio: "inherit" }) : spawnSync("node-gyp", args, { stdio: "inherit", shell: true });
if (run.status !== 0) {
  process.stderr.write(
    "cmbflow: the native Legendre kernel did not build; the WebAssembly kernel will be used " +
      "(`cmbflow --version` names the kernel in use).\n",
  );
}
