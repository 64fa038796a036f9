"""gezi.logwatch"""
