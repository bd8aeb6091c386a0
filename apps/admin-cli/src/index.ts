export { main, buildProgram, USAGE_ERROR_EXIT_CODE, FAILURE_EXIT_CODE } from './main.js';
export { renderTable, renderFields, truncate, type Column } from './output/table.js';
export { formatWhen, formatRelative, formatSpan } from './output/time-format.js';
