from callcenter import create_app, heap

app = create_app()
heap.settle()  # the start-up heap out of every later collection (callcenter/heap.py)
