import { decideContract } from './contract/decide';
import { outcomesContract } from './contract/outcomes';
import { sqliteFactory } from './helpers';

decideContract('SQLite', sqliteFactory);
outcomesContract('SQLite', sqliteFactory);
