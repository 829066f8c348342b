/** The span and metric attribute names Capital sets, so that every file spells them the same. */
export const attr = {
  taskType: 'capital.task.type',
  taskKey: 'capital.task.key',
  page: 'capital.task.page',
  attempt: 'capital.attempt',
  limiterWaitMs: 'capital.limiter.wait_ms',
  records: 'capital.records',
  nextTasks: 'capital.next_tasks',
  outcome: 'capital.outcome',
  httpStatus: 'http.response.status_code',
  httpMethod: 'http.request.method',
  urlFull: 'url.full',
  serverAddress: 'server.address',
  bytes: 'http.response.body.size',
} as const;
