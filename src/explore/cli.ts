/**
 * The `export` and `explore` commands as the CLI's table calls them: parse, print help, run.
 */
import { exploreHelp, exportHelp, parseExploreArgs, parseExportArgs } from '../config/explore';
import { ConsoleLogger } from '../util/log';
import { explore } from './explore';
import { exportRun } from './export';

export async function runExport(argv: string[]): Promise<number> {
  const config = parseExportArgs(argv);
  if (config === 'help') {
    process.stdout.write(exportHelp() + '\n');
    return 0;
  }
  exportRun(config, new ConsoleLogger(false));
  return 0;
}

/** Serves until Ctrl-C (SIGINT) or SIGTERM, then closes the server and returns 0. */
export async function runExplore(argv: string[]): Promise<number> {
  const config = parseExploreArgs(argv);
  if (config === 'help') {
    process.stdout.write(exploreHelp() + '\n');
    return 0;
  }
  return explore(config, new ConsoleLogger(false));
}
