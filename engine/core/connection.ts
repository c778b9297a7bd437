/** The state of one live connection of a run (a broker, a database), as the workbench's toolbar and `run.progress` show it. */
export interface ConnectionStatus {
  name: string;
  status: 'connecting' | 'ok' | 'retrying' | 'down';
  detail?: string;
}
