import type { AdminCommand } from './command';
import { backupCommand, restoreCommand } from './commands/backup.command';
import { clusterCommand } from './commands/cluster.command';
import { exportCommand } from './commands/export.command';
import { importCommand } from './commands/import.command';
import { reindexCommand } from './commands/reindex.command';
import { reprocessCommand } from './commands/reprocess.command';
import { tokenCommand, userCommand } from './commands/users.command';

/** Every `npm run admin -- <name>` command; add one by listing it here. */
export const adminCommands: AdminCommand[] = [
  importCommand,
  exportCommand,
  reprocessCommand,
  clusterCommand,
  reindexCommand,
  userCommand,
  tokenCommand,
  backupCommand,
  restoreCommand,
];
