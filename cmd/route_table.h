/* route_table.h: the listing of routes that midi-loop routes and
 * midi-list --routes print: an aligned table, or JSON. No MIDI logic. */
#ifndef MIDI_CMD_ROUTE_TABLE_H
#define MIDI_CMD_ROUTE_TABLE_H

/* Print every route (midi_route_list) to standard output; json: one
 * array. Returns 0 or the exit status (reported). */
int route_table_print(int json);

#endif
