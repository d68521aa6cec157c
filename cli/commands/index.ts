import { type Command } from 'commander';
import * as approve from './approve';
import * as audit from './audit';
import * as autonomy from './autonomy';
import * as bench from './bench';
import * as cluster from './cluster';
import * as codecServer from './codec-server';
import * as demo from './demo';
import * as detect from './detect';
import * as dev from './dev';
import * as drill from './drill';
import * as explain from './explain';
import * as incidents from './incidents';
import * as inject from './inject';
import * as keys from './keys';
import * as nab from './nab';
import * as policy from './policy';
import * as provision from './provision';
import * as sentinel from './sentinel';
import * as telemetry from './telemetry';
import * as worker from './worker';

/** Every subcommand registers itself; order is the order shown in `homeostat --help`. */
export const COMMANDS: ((program: Command) => void)[] = [
  demo.register,
  dev.register,
  drill.register,
  provision.register,
  cluster.register,
  incidents.register,
  approve.register,
  keys.register,
  explain.register,
  policy.register,
  audit.register,
  autonomy.register,
  sentinel.register,
  telemetry.register,
  worker.register,
  codecServer.register,
  inject.register,
  detect.register,
  nab.register,
  bench.register,
];
