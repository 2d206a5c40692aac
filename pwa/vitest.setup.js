// IndexedDB for node: fake-indexeddb installs indexedDB, IDBKeyRange, ... as globals,
// which is all that idb needs. Each test file resets the stores it uses (db.clearAll).
import 'fake-indexeddb/auto';
