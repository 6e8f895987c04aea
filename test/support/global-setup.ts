import { execFileSync } from 'node:child_process';

/** End-to-end tests run the built server the way production does, so build it once first. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
