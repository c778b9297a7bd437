"""Test harness: several exported pipelines in ONE Flink job (one JVM start for many parity cases).

python multi_job.py <spec.json>
spec: {"jobDir": dir holding job.py and tsengine_job/ with generated_<i>.py modules,
       "pipelines": [{"module": "tsengine_job.generated_0", "args": [job.py options…]}, …],
       "jars": folder of connector jars or null}
"""
import json
import os
import sys


def main():
    spec = json.load(open(sys.argv[1]))
    job_dir = spec['jobDir']
    sys.path.insert(0, job_dir)
    import importlib
    job = importlib.import_module('job')
    from pyflink.datastream import StreamExecutionEnvironment
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)  # as job.py: each pipeline sets the parallelism of its keyed stage
    env.add_python_file(os.path.join(job_dir, 'tsengine_job'))
    env.set_python_executable(sys.executable)
    if spec.get('jars'):
        env.add_jars(*['file://' + os.path.join(spec['jars'], f) for f in sorted(os.listdir(spec['jars'])) if f.endswith('.jar')])
    for p in spec['pipelines']:
        gen = importlib.import_module(p['module'])
        args = job.arg_parser(gen.SETTINGS).parse_args(p['args'])
        job.build_job(env, p['module'], args)
    env.execute('ts-engine parity')


if __name__ == '__main__':
    main()
